// Variable interpolation in compose files (compose-spec "Interpolation"): $VAR, ${VAR},
// ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}, and $$
// for a literal $. Defaults and alternatives may themselves hold ${…} (nested).

import { Override } from "./yaml-file.ts";

export type Lookup = (name: string) => string | undefined;

export class InterpolationError extends Error {}

/** Called for a variable that is unset and has no default ("Defaulting to a blank string"). */
export type MissingHandler = (name: string) => void;

const nameStart = /[A-Za-z_]/;
const nameChar = /[A-Za-z0-9_]/;

/** Finds the "}" that closes the "${" whose body starts at `from`, skipping nested braces. */
function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === "$" && s[i + 1] === "$") {
      i++;
    } else if (c === "$" && s[i + 1] === "{") {
      depth++;
      i++;
    } else if (c === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function substituteBraced(body: string, lookup: Lookup, onMissing: MissingHandler, whole: string): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!m)
    throw new InterpolationError(`invalid interpolation format for ${JSON.stringify(whole)}: "\${${body}}"`);
  const name = m[1] as string;
  const op = m[2];
  const arg = m[3] ?? "";
  const value = lookup(name);
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  const expand = (s: string) => interpolateString(s, lookup, onMissing);
  switch (op) {
    case undefined:
      if (!set) onMissing(name);
      return value ?? "";
    case ":-":
      return nonEmpty ? (value as string) : expand(arg);
    case "-":
      return set ? (value as string) : expand(arg);
    case ":?":
      if (!nonEmpty)
        throw new InterpolationError(`required variable ${name} is missing a value: ${expand(arg)}`);
      return value as string;
    case "?":
      if (!set) throw new InterpolationError(`required variable ${name} is missing a value: ${expand(arg)}`);
      return value as string;
    case ":+":
      return nonEmpty ? expand(arg) : "";
    case "+":
      return set ? expand(arg) : "";
    default:
      throw new InterpolationError(`invalid interpolation format for ${JSON.stringify(whole)}`);
  }
}

/** Interpolates one string. */
export function interpolateString(s: string, lookup: Lookup, onMissing: MissingHandler = () => {}): string {
  if (!s.includes("$")) return s;
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "{") {
      const end = closingBrace(s, i + 2);
      if (end < 0)
        throw new InterpolationError(
          `invalid interpolation format for ${JSON.stringify(s)}: missing closing brace`,
        );
      out += substituteBraced(s.slice(i + 2, end), lookup, onMissing, s);
      i = end + 1;
    } else if (next !== undefined && nameStart.test(next)) {
      let j = i + 1;
      while (j < s.length && nameChar.test(s[j] as string)) j++;
      const name = s.slice(i + 1, j);
      const value = lookup(name);
      if (value === undefined) onMissing(name);
      out += value ?? "";
      i = j;
    } else {
      // A lone "$" (end of string, "$ ", "$1"…) stays as it is.
      out += "$";
      i++;
    }
  }
  return out;
}

/** Interpolates every string value (never keys) of a parsed document; `path` names errors. */
export function interpolateTree(
  node: unknown,
  lookup: Lookup,
  onMissing: MissingHandler = () => {},
  path: string[] = [],
): unknown {
  if (typeof node === "string") {
    try {
      return interpolateString(node, lookup, onMissing);
    } catch (err) {
      if (
        err instanceof InterpolationError &&
        path.length > 0 &&
        !err.message.startsWith("required variable")
      ) {
        throw new InterpolationError(`${err.message} (at ${path.join(".")})`);
      }
      throw err;
    }
  }
  if (node instanceof Override) return new Override(interpolateTree(node.value, lookup, onMissing, path));
  if (Array.isArray(node))
    return node.map((v, i) => interpolateTree(v, lookup, onMissing, [...path, String(i)]));
  if (node !== null && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, lookup, onMissing, [...path, k]);
    return out;
  }
  return node;
}
