// Variable substitution in Dockerfile arguments, with the rules of Docker's shell lexer
// (moby/buildkit frontend/dockerfile/shell): $VAR and ${VAR}, ${VAR:-word}, ${VAR-word},
// ${VAR:+word}, ${VAR+word}, ${VAR:?msg}, ${VAR?msg}; single quotes are literal, double quotes
// expand; the escape character keeps the next character literal. Quotes are removed.

export class SubstitutionError extends Error {}

export type Env = ReadonlyMap<string, string>;

const nameChar = /[A-Za-z0-9_]/;
/** Marks where an unquoted expansion's whitespace splits words (never in a Dockerfile). */
const fieldBreak = "\u0000";

class Lexer {
  private pos = 0;
  private readonly src: string;
  private readonly env: Env;
  private readonly escapeChar: string;

  constructor(src: string, env: Env, escapeChar: string) {
    this.src = src;
    this.env = env;
    this.escapeChar = escapeChar;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private next(): string | undefined {
    return this.src[this.pos++];
  }

  /** Words split on unquoted whitespace (splitWords) or one word (the whole input). */
  process(split: boolean): string[] {
    const words: string[] = [];
    let word = "";
    let inWord = false;
    while (this.pos < this.src.length) {
      const ch = this.peek() as string;
      if (split && /\s/.test(ch)) {
        this.pos++;
        if (inWord) words.push(word);
        word = "";
        inWord = false;
        continue;
      }
      inWord = true;
      word += this.processStopOn(undefined, split);
    }
    if (inWord || !split) words.push(word);
    if (!split) return words;
    // Unquoted expansions were marked for field splitting (see dollar()).
    return words.flatMap((w) => {
      const pieces = w.split(fieldBreak);
      return pieces.length > 1 ? pieces.filter((p) => p !== "") : pieces;
    });
  }

  /** Reads up to `stop` (consumed) or the end; in split mode also stops before whitespace. */
  private processStopOn(stop: string | undefined, split: boolean): string {
    let out = "";
    while (this.pos < this.src.length) {
      const ch = this.peek() as string;
      if (stop !== undefined && ch === stop) {
        this.pos++;
        return out;
      }
      if (split && stop === undefined && /\s/.test(ch)) return out;
      this.pos++;
      if (ch === "'") out += this.singleQuoted();
      else if (ch === '"') out += this.doubleQuoted();
      else if (ch === "$") {
        const value = this.dollar();
        out += split && stop === undefined ? value.replace(/\s+/g, fieldBreak) : value;
      } else if (ch === this.escapeChar) {
        const n = this.next();
        if (n === undefined) break;
        out += n;
      } else out += ch;
    }
    if (stop !== undefined)
      throw new SubstitutionError(`unexpected end of statement while looking for matching ${stop}`);
    return out;
  }

  private singleQuoted(): string {
    const end = this.src.indexOf("'", this.pos);
    if (end < 0)
      throw new SubstitutionError("unexpected end of statement while looking for matching single-quote");
    const text = this.src.slice(this.pos, end);
    this.pos = end + 1;
    return text;
  }

  private doubleQuoted(): string {
    let out = "";
    for (;;) {
      const ch = this.next();
      if (ch === undefined)
        throw new SubstitutionError("unexpected end of statement while looking for matching double-quote");
      if (ch === '"') return out;
      if (ch === "$") out += this.dollar();
      else if (ch === this.escapeChar) {
        const n = this.peek();
        // Inside double quotes only ", $ and the escape itself are escapable.
        if (n === '"' || n === "$" || n === this.escapeChar) {
          out += n;
          this.pos++;
        } else out += ch;
      } else out += ch;
    }
  }

  private name(): string {
    // $1 … $9: one digit (positional parameters, always empty here).
    if (/[0-9]/.test(this.peek() ?? "")) return this.next() as string;
    let name = "";
    while (this.pos < this.src.length && nameChar.test(this.peek() as string)) name += this.next();
    return name;
  }

  private dollar(): string {
    const ch = this.peek();
    if (ch !== "{") {
      const name = this.name();
      if (name === "") return "$";
      return this.env.get(name) ?? "";
    }
    this.pos++;
    const name = this.name();
    if (name === "") throw new SubstitutionError(`bad substitution: missing variable name`);
    const set = this.env.has(name);
    const value = this.env.get(name) ?? "";
    const c = this.next();
    if (c === "}") return value;
    if (c === undefined) throw new SubstitutionError(`bad substitution: missing '}'`);
    let colon = false;
    let op = c;
    if (c === ":") {
      colon = true;
      op = this.next() ?? "";
    }
    const word = this.processStopOn("}", false);
    // With ":", an empty value counts as unset.
    const present = colon ? set && value !== "" : set;
    switch (op) {
      case "-":
        return present ? value : word;
      case "+":
        return present ? word : "";
      case "?":
        if (!present) throw new SubstitutionError(`${name}: ${word || "is not allowed to be unset"}`);
        return value;
      default:
        throw new SubstitutionError(`unsupported modifier (${colon ? ":" : ""}${op}) in substitution`);
    }
  }
}

/** Expands one word (quotes removed, no splitting). */
export function expandWord(word: string, env: Env, escapeChar = "\\"): string {
  return new Lexer(word, env, escapeChar).process(false)[0] ?? "";
}

/** Expands and splits on unquoted whitespace, as Docker's ProcessWords. */
export function expandWords(text: string, env: Env, escapeChar = "\\"): string[] {
  return new Lexer(text, env, escapeChar).process(true);
}

/**
 * A here-document body with an unquoted name: variables expand, quotes and other characters
 * stay as written (heredoc text is not a word); `\$` keeps a dollar literal.
 */
export function expandHeredoc(text: string, env: Env, escapeChar = "\\"): string {
  const esc = escapeChar.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
  const pattern = new RegExp(`${esc}\\$|\\$\\{[^}]*\\}|\\$[A-Za-z_][A-Za-z0-9_]*`, "g");
  return text.replace(pattern, (m) => (m.startsWith("$") ? expandWord(m, env, escapeChar) : "$"));
}
