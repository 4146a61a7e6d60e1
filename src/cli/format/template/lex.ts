// The lexer of Go's text/template: splits a template into text and action tokens, with trim
// markers ({{- and -}}) and comments handled here, as Go does.

export type ItemType =
  | "error"
  | "bool"
  | "char"
  | "charConstant"
  | "assign"
  | "declare"
  | "eof"
  | "field"
  | "identifier"
  | "leftDelim"
  | "leftParen"
  | "number"
  | "pipe"
  | "rawString"
  | "rightDelim"
  | "rightParen"
  | "space"
  | "string"
  | "text"
  | "variable"
  | "comment"
  // keywords
  | "block"
  | "break"
  | "continue"
  | "dot"
  | "define"
  | "else"
  | "end"
  | "if"
  | "nil"
  | "range"
  | "template"
  | "with";

export interface Item {
  typ: ItemType;
  pos: number;
  val: string;
  line: number;
}

const KEYWORDS: ReadonlySet<string> = new Set([
  "block",
  "break",
  "continue",
  "define",
  "else",
  "end",
  "if",
  "nil",
  "range",
  "template",
  "with",
]);

export function isKeyword(typ: ItemType): boolean {
  return typ === "dot" || KEYWORDS.has(typ);
}

const LEFT = "{{";
const RIGHT = "}}";

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

function isAlphaNumeric(c: string | undefined): boolean {
  return c !== undefined && /^[_\p{L}\p{Nd}]$/u.test(c);
}

/** Go's %q of an item's text, cut to 10 runes (item.String()). */
function quoteItem(val: string): string {
  const runes = Array.from(val);
  const q = JSON.stringify(runes.length > 10 ? runes.slice(0, 10).join("") : val);
  return runes.length > 10 ? q + "..." : q;
}

/** How a token reads in Go's parse error messages. */
export function itemString(item: Item): string {
  if (item.typ === "eof") return "EOF";
  if (item.typ === "error") return item.val;
  if (isKeyword(item.typ)) return `<${item.val}>`;
  return quoteItem(item.val);
}

class Lexer {
  readonly items: Item[] = [];
  private pos = 0;
  private start = 0;
  private line = 1;
  private startLine = 1;
  private parenDepth = 0;
  private readonly input: string;

  constructor(input: string) {
    this.input = input;
  }

  run(): Item[] {
    let ok = this.lexText();
    while (ok) ok = this.lexText();
    return this.items;
  }

  private emit(typ: ItemType): void {
    this.items.push({
      typ,
      pos: this.start,
      val: this.input.slice(this.start, this.pos),
      line: this.startLine,
    });
    this.ignore();
  }

  private ignore(): void {
    for (let i = this.start; i < this.pos; i++) if (this.input[i] === "\n") this.line++;
    this.start = this.pos;
    this.startLine = this.line;
  }

  private error(msg: string): false {
    this.items.push({ typ: "error", pos: this.start, val: msg, line: this.startLine });
    return false;
  }

  private next(): string | undefined {
    if (this.pos >= this.input.length) {
      this.pos++;
      return undefined;
    }
    const c = String.fromCodePoint(this.input.codePointAt(this.pos)!);
    this.pos += c.length;
    return c;
  }

  private backup(c: string | undefined): void {
    this.pos -= c === undefined ? 1 : c.length;
  }

  private peek(): string | undefined {
    const c = this.next();
    this.backup(c);
    return c;
  }

  private atRightDelim(): { delim: boolean; trim: boolean } {
    const rest = this.input.slice(this.pos);
    if (isSpace(rest[0]) && rest[1] === "-" && rest.startsWith(RIGHT, 2)) return { delim: true, trim: true };
    return { delim: rest.startsWith(RIGHT), trim: false };
  }

  private leftTrimLength(from: number): number {
    let i = from;
    while (i < this.input.length && isSpace(this.input[i])) i++;
    return i - from;
  }

  /** Text up to the next action; false when the input (or an error) ends lexing. */
  private lexText(): boolean {
    const x = this.input.indexOf(LEFT, this.pos);
    if (x < 0) {
      this.pos = this.input.length;
      if (this.pos > this.start) this.emit("text");
      this.items.push({ typ: "eof", pos: this.pos, val: "", line: this.line });
      return false;
    }
    this.pos = x;
    const after = this.input.slice(x + LEFT.length);
    const trim = after[0] === "-" && isSpace(after[1]);
    if (x > this.start) {
      let end = x;
      if (trim) while (end > this.start && isSpace(this.input[end - 1])) end--;
      this.pos = end;
      if (end > this.start) this.emit("text");
      this.pos = x;
      this.ignore();
    }
    return this.lexLeftDelim(trim);
  }

  private lexLeftDelim(trim: boolean): boolean {
    this.pos += LEFT.length;
    const afterMarker = trim ? 2 : 0;
    if (this.input.startsWith("/*", this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.ignore();
      return this.lexComment();
    }
    this.emit("leftDelim");
    this.pos += afterMarker;
    this.ignore();
    this.parenDepth = 0;
    return this.lexInsideAction();
  }

  private lexComment(): boolean {
    this.pos += 2;
    const x = this.input.indexOf("*/", this.pos);
    if (x < 0) return this.error("unclosed comment");
    this.pos = x + 2;
    const { delim, trim } = this.atRightDelim();
    if (!delim) return this.error("comment ends before closing delimiter");
    this.emit("comment");
    if (trim) this.pos += 2;
    this.pos += RIGHT.length;
    if (trim) this.pos += this.leftTrimLength(this.pos);
    this.ignore();
    return true;
  }

  private lexRightDelim(): boolean {
    const { trim } = this.atRightDelim();
    if (trim) {
      this.pos += 2;
      this.ignore();
    }
    this.pos += RIGHT.length;
    this.emit("rightDelim");
    if (trim) {
      this.pos += this.leftTrimLength(this.pos);
      this.ignore();
    }
    return true;
  }

  /** Inside {{ }}: emit tokens until the closing delimiter. */
  private lexInsideAction(): boolean {
    for (;;) {
      if (this.atRightDelim().delim) {
        if (this.parenDepth === 0) return this.lexRightDelim();
        return this.error("unclosed left paren");
      }
      const r = this.next();
      if (r === undefined) return this.error("unclosed action");
      if (isSpace(r)) {
        this.backup(r);
        if (!this.lexSpace()) return this.lexRightDelim();
      } else if (r === "=") this.emit("assign");
      else if (r === ":") {
        if (this.next() !== "=") return this.error("expected :=");
        this.emit("declare");
      } else if (r === "|") this.emit("pipe");
      else if (r === '"') {
        if (!this.lexQuote()) return false;
      } else if (r === "`") {
        if (!this.lexRawQuote()) return false;
      } else if (r === "$") {
        if (!this.lexFieldOrVariable("variable")) return false;
      } else if (r === "'") {
        if (!this.lexChar()) return false;
      } else if (r === "." && !/[0-9]/.test(this.input[this.pos] ?? "")) {
        if (!this.lexFieldOrVariable("field")) return false;
      } else if (r === "." || r === "+" || r === "-" || (r >= "0" && r <= "9")) {
        this.backup(r);
        if (!this.lexNumber()) return false;
      } else if (isAlphaNumeric(r)) {
        this.backup(r);
        if (!this.lexIdentifier()) return false;
      } else if (r === "(") {
        this.parenDepth++;
        this.emit("leftParen");
      } else if (r === ")") {
        this.emit("rightParen");
        this.parenDepth--;
        if (this.parenDepth < 0) return this.error("unexpected right paren U+0029 ')'");
      } else if (r.codePointAt(0)! <= 0x7f && r >= " " && r !== "\x7f") {
        this.emit("char");
      } else {
        return this.error(`unrecognized character in action: ${unicodeName(r)}`);
      }
    }
  }

  /** A run of spaces; false when it is the space of a " -}}" that follows. */
  private lexSpace(): boolean {
    let n = 0;
    while (isSpace(this.peek())) {
      this.next();
      n++;
    }
    const rest = this.input.slice(this.pos - 1);
    if (rest[1] === "-" && rest.startsWith(RIGHT, 2)) {
      this.pos--;
      if (n === 1) return false;
    }
    this.emit("space");
    return true;
  }

  private atTerminator(): boolean {
    const r = this.peek();
    if (r === undefined || isSpace(r)) return true;
    if (".,|:()".includes(r)) return true;
    return this.input.startsWith(RIGHT, this.pos);
  }

  private lexIdentifier(): boolean {
    let r = this.next();
    while (isAlphaNumeric(r)) r = this.next();
    this.backup(r);
    if (!this.atTerminator()) return this.error(`bad character ${unicodeName(r)}`);
    const word = this.input.slice(this.start, this.pos);
    if (KEYWORDS.has(word)) this.emit(word as ItemType);
    else if (word === "true" || word === "false") this.emit("bool");
    else this.emit("identifier");
    return true;
  }

  private lexFieldOrVariable(typ: "field" | "variable"): boolean {
    if (this.atTerminator()) {
      this.emit(typ === "variable" ? "variable" : "dot");
      return true;
    }
    let r = this.next();
    while (isAlphaNumeric(r)) r = this.next();
    this.backup(r);
    if (!this.atTerminator()) return this.error(`bad character ${unicodeName(r)}`);
    this.emit(typ);
    return true;
  }

  private lexChar(): boolean {
    for (;;) {
      const r = this.next();
      if (r === "\\") {
        const n = this.next();
        if (n !== undefined && n !== "\n") continue;
      }
      if (r === undefined || r === "\n" || r === "\\") return this.error("unterminated character constant");
      if (r === "'") break;
    }
    this.emit("charConstant");
    return true;
  }

  private accept(valid: string): boolean {
    const r = this.next();
    if (r !== undefined && valid.includes(r)) return true;
    this.backup(r);
    return false;
  }

  private acceptRun(valid: string): void {
    while (this.accept(valid));
  }

  private lexNumber(): boolean {
    if (!this.scanNumber()) return this.badNumber();
    const sign = this.peek();
    // A complex literal such as 1+2i: no spaces, must end in i.
    if ((sign === "+" || sign === "-") && (!this.scanNumber() || this.input[this.pos - 1] !== "i")) {
      return this.badNumber();
    }
    this.emit("number");
    return true;
  }

  private badNumber(): false {
    return this.error(`bad number syntax: ${JSON.stringify(this.input.slice(this.start, this.pos))}`);
  }

  /** Go's scanNumber: decides the extent of a number; its value is checked by the parser. */
  private scanNumber(): boolean {
    this.accept("+-");
    let digits = "0123456789_";
    if (this.accept("0")) {
      if (this.accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (this.accept("oO")) digits = "01234567_";
      else if (this.accept("bB")) digits = "01_";
    }
    this.acceptRun(digits);
    if (this.accept(".")) this.acceptRun(digits);
    if (digits.length === 11 && this.accept("eE")) {
      this.accept("+-");
      this.acceptRun("0123456789_");
    }
    if (digits.length === 23 && this.accept("pP")) {
      this.accept("+-");
      this.acceptRun("0123456789_");
    }
    this.accept("i");
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }

  private lexQuote(): boolean {
    for (;;) {
      const r = this.next();
      if (r === "\\") {
        const n = this.next();
        if (n !== undefined && n !== "\n") continue;
        return this.error("unterminated quoted string");
      }
      if (r === undefined || r === "\n") return this.error("unterminated quoted string");
      if (r === '"') break;
    }
    this.emit("string");
    return true;
  }

  private lexRawQuote(): boolean {
    const x = this.input.indexOf("`", this.pos);
    if (x < 0) return this.error("unterminated raw quoted string");
    this.pos = x + 1;
    this.emit("rawString");
    return true;
  }
}

/** Go's %#U: U+007D '}' */
export function unicodeName(r: string | undefined): string {
  if (r === undefined) return "U+FFFFFFFF";
  const cp = r.codePointAt(0)!;
  const hex = cp.toString(16).toUpperCase().padStart(4, "0");
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(r) ? `U+${hex} '${r}'` : `U+${hex}`;
}

export function lex(input: string): Item[] {
  return new Lexer(input).run();
}
