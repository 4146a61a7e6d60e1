// The functions a docker --format template can call: text/template's builtins plus the ones
// docker's CLI adds (json, split, join, title, lower, upper, pad, truncate), with Go's
// parameter types so that argument errors read as Go's do.

import { sprint, sprintf, sprintln } from "../gofmt.ts";
import { goJson } from "../gojson.ts";
import { byteLength, goTypeName, isTrue, kindOf, sortedKeys } from "../govalue.ts";

/**
 * Parameter types: "any" is interface{} (missing values arrive as null), "value" is a
 * reflect.Value (the raw value, undefined when missing), the others must match exactly.
 */
export type ParamType = "any" | "value" | "string" | "int" | "[]string";

export interface FuncSpec {
  params: readonly ParamType[];
  /** Element type of a trailing variadic parameter. */
  variadic?: ParamType;
  /** Throw an Error to report "error calling NAME: message". */
  call: (args: unknown[]) => unknown;
}

export const GO_TYPE: Record<ParamType, string> = {
  any: "interface {}",
  value: "reflect.Value",
  string: "string",
  int: "int",
  "[]string": "[]string",
};

const s = (v: unknown): string => v as string;
const n = (v: unknown): number => v as number;

/** Go's evalArgs for html/js/urlquery: one string as is, anything else through fmt.Sprint. */
function evalArgs(args: unknown[]): string {
  return args.length === 1 && typeof args[0] === "string" ? args[0] : sprint(args);
}

function htmlEscape(str: string): string {
  return str.replace(/["'&<>\0]/g, (c) =>
    c === '"'
      ? "&#34;"
      : c === "'"
        ? "&#39;"
        : c === "&"
          ? "&amp;"
          : c === "<"
            ? "&lt;"
            : c === ">"
              ? "&gt;"
              : "\ufffd",
  );
}

function jsEscape(str: string): string {
  let out = "";
  for (const c of str) {
    const cp = c.codePointAt(0)!;
    if (c === "\\" || c === "'" || c === '"') out += "\\" + c;
    else if (c === "<" || c === ">" || c === "&" || c === "=") out += "\\u00" + cp.toString(16).toUpperCase();
    else if (cp < 0x20) out += "\\u00" + cp.toString(16).toUpperCase().padStart(2, "0");
    else if (cp >= 0x80 && !/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(c)) {
      out += "\\u" + cp.toString(16).toUpperCase().padStart(4, "0");
    } else out += c;
  }
  return out;
}

function queryEscape(str: string): string {
  let out = "";
  for (const b of Buffer.from(str, "utf8")) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** strings.Title: upper-case the first letter of each word. */
function title(str: string): string {
  let prev = " ";
  let out = "";
  for (const c of str) {
    const sep =
      prev.codePointAt(0)! < 0x80
        ? !/[0-9A-Za-z_]/.test(prev)
        : /\s/u.test(prev) && !/[\p{L}\p{Nd}]/u.test(prev);
    out += sep ? mapRunes(c, true) : c;
    prev = c;
  }
  return out;
}

/** Go maps case rune by rune (unicode.ToUpper), never one rune to several as "ß" → "SS". */
function mapRunes(str: string, upper: boolean): string {
  let out = "";
  for (const c of str) {
    const m = upper ? c.toUpperCase() : c.toLowerCase();
    out += Array.from(m).length === 1 ? m : c;
  }
  return out;
}

function repeat(count: number): string {
  if (count < 0) throw new Error("strings: negative Repeat count");
  return " ".repeat(count);
}

/**
 * Slice a string by UTF-8 bytes as Go does. Go keeps the bytes of a cut rune, which print and
 * measure as one U+FFFD each; Node would merge a cut tail into one, so count them here.
 */
function byteSlice(str: string, from: number, to: number): string {
  const bytes = Buffer.from(str, "utf8").subarray(from, to);
  let end = bytes.length;
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 3); i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (bytes.length - i < need) end = i;
    break;
  }
  return bytes.subarray(0, end).toString("utf8") + "\ufffd".repeat(bytes.length - end);
}

function indexArg(index: unknown, cap: number): number {
  const k = kindOf(index);
  if (k === "invalid" || k === "nil") throw new Error("cannot index slice/array with nil");
  if (k !== "int") throw new Error(`cannot index slice/array with type ${goTypeName(index)}`);
  const x = Number(index);
  if (x < 0 || x > cap) throw new Error(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error("index of untyped nil");
  for (const idx of indexes) {
    if (item === null) throw new Error("index of nil pointer");
    switch (kindOf(item)) {
      case "slice":
      case "string": {
        const len = typeof item === "string" ? byteLength(item) : (item as unknown[]).length;
        const x = indexArg(idx, len);
        if (x === len) throw new Error(`reflect: slice index out of range`);
        item = typeof item === "string" ? Buffer.from(item, "utf8")[x] : (item as unknown[])[x];
        break;
      }
      case "map": {
        if (idx === undefined || idx === null) throw new Error("value is nil; should be of type string");
        if (typeof idx !== "string") throw new Error(`value has type ${goTypeName(idx)}; should be string`);
        const m = item as Record<string, unknown>;
        // A missing key gives the element type's zero value: "" for string maps such as
        // Labels (map[string]string in Go), no value for maps of mixed values.
        if (Object.hasOwn(m, idx)) item = m[idx];
        else item = Object.values(m).every((v) => typeof v === "string") ? "" : undefined;
        break;
      }
      default:
        throw new Error(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error("slice of untyped nil");
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === "string") {
    if (indexes.length === 3) throw new Error("cannot 3-index slice a string");
    len = byteLength(item);
  } else if (Array.isArray(item)) len = item.length;
  else throw new Error(`can't slice item of type ${goTypeName(item)}`);
  const idx = [0, len, len];
  indexes.forEach((x, i) => {
    idx[i] = indexArg(x, len);
  });
  if (idx[0]! > idx[1]!) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!)
    throw new Error(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  return typeof item === "string"
    ? byteSlice(item, idx[0]!, idx[1]!)
    : (item as unknown[]).slice(idx[0], idx[1]);
}

function length(item: unknown): number {
  if (item === null) throw new Error("len of nil pointer");
  switch (kindOf(item)) {
    case "string":
      return byteLength(item as string);
    case "slice":
      return (item as unknown[]).length;
    case "map":
      return sortedKeys(item as Record<string, unknown>).length;
    case "invalid":
      throw new Error("reflect: call of reflect.Value.Type on zero Value");
    default:
      throw new Error(`len of type ${goTypeName(item)}`);
  }
}

type BasicKind = "nil" | "bool" | "number" | "string" | "other";

function basicKind(v: unknown): BasicKind {
  switch (kindOf(v)) {
    case "invalid":
    case "nil":
      return "nil";
    case "bool":
      return "bool";
    case "int":
    case "float":
      return "number";
    case "string":
      return "string";
    default:
      return "other";
  }
}

// Numbers compare across int and float: JSON cannot tell 2.0 from 2 (Go would refuse).
function eq(arg1: unknown, rest: unknown[]): boolean {
  if (rest.length === 0) throw new Error("missing argument for comparison");
  const k1 = basicKind(arg1);
  for (const arg of rest) {
    const k2 = basicKind(arg);
    if (k1 !== k2) {
      if (k1 !== "nil" && k2 !== "nil") throw new Error("incompatible types for comparison");
      continue;
    }
    if (k1 === "nil") return true;
    if (k1 === "other") throw new Error(`non-comparable type ${sprintf("%s", [arg])}: ${goTypeName(arg)}`);
    if (k1 === "number" ? Number(arg1) === Number(arg) : arg1 === arg) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === "nil" || k1 === "other" || k2 === "nil" || k2 === "other") {
    throw new Error("invalid type for comparison");
  }
  if (k1 !== k2) throw new Error("incompatible types for comparison");
  if (k1 === "bool") throw new Error("invalid type for comparison");
  return (a as number | string) < (b as number | string);
}

function callFn(fn: unknown, args: unknown[]): unknown {
  if (fn === undefined || fn === null) throw new Error("call of nil");
  if (typeof fn !== "function") throw new Error(`non-function of type ${goTypeName(fn)}`);
  return fn(...args);
}

const identity = (args: unknown[]): unknown => args[0];

export const BUILTINS: Readonly<Record<string, FuncSpec>> = {
  and: { params: ["value"], variadic: "value", call: (a) => a.find((v) => !isTrue(v)) ?? a[a.length - 1] },
  or: { params: ["value"], variadic: "value", call: (a) => a.find((v) => isTrue(v)) ?? a[a.length - 1] },
  not: { params: ["value"], call: (a) => !isTrue(a[0]) },
  call: { params: ["value"], variadic: "value", call: (a) => callFn(a[0], a.slice(1)) },
  html: { params: [], variadic: "any", call: (a) => htmlEscape(evalArgs(a)) },
  js: { params: [], variadic: "any", call: (a) => jsEscape(evalArgs(a)) },
  urlquery: { params: [], variadic: "any", call: (a) => queryEscape(evalArgs(a)) },
  index: { params: ["value"], variadic: "value", call: (a) => index(a[0], a.slice(1)) },
  slice: { params: ["value"], variadic: "value", call: (a) => slice(a[0], a.slice(1)) },
  len: { params: ["value"], call: (a) => length(a[0]) },
  print: { params: [], variadic: "any", call: (a) => sprint(a) },
  printf: { params: ["string"], variadic: "any", call: (a) => sprintf(s(a[0]), a.slice(1)) },
  println: { params: [], variadic: "any", call: (a) => sprintln(a) },
  eq: { params: ["value"], variadic: "value", call: (a) => eq(a[0], a.slice(1)) },
  ne: { params: ["value", "value"], call: (a) => !eq(a[0], [a[1]]) },
  lt: { params: ["value", "value"], call: (a) => lt(a[0], a[1]) },
  le: { params: ["value", "value"], call: (a) => lt(a[0], a[1]) || eq(a[0], [a[1]]) },
  gt: { params: ["value", "value"], call: (a) => !(lt(a[0], a[1]) || eq(a[0], [a[1]])) },
  ge: { params: ["value", "value"], call: (a) => !lt(a[0], a[1]) },
};

/** docker/cli templates.basicFunctions */
export const DOCKER_FUNCS: Readonly<Record<string, FuncSpec>> = {
  json: { params: ["any"], call: (a) => goJson(a[0]) },
  split: {
    params: ["string", "string"],
    call: (a) => (s(a[1]) === "" ? Array.from(s(a[0])) : s(a[0]).split(s(a[1]))),
  },
  join: { params: ["[]string", "string"], call: (a) => (a[0] as string[]).join(s(a[1])) },
  title: { params: ["string"], call: (a) => title(s(a[0])) },
  lower: { params: ["string"], call: (a) => mapRunes(s(a[0]), false) },
  upper: { params: ["string"], call: (a) => mapRunes(s(a[0]), true) },
  pad: {
    params: ["string", "int", "int"],
    call: (a) => (s(a[0]) === "" ? "" : repeat(n(a[1])) + s(a[0]) + repeat(n(a[2]))),
  },
  truncate: {
    params: ["string", "int"],
    call: (a) => {
      if (byteLength(s(a[0])) < n(a[1])) return a[0];
      if (n(a[1]) < 0) throw new Error(`runtime error: slice bounds out of range [:${n(a[1])}]`);
      return byteSlice(s(a[0]), 0, n(a[1]));
    },
  },
};

/**
 * docker/cli templates.HeaderFunctions: used when rendering a table's header row, so that
 * `{{upper .Names}}` still prints the column's title as given.
 */
export const HEADER_FUNCS: Readonly<Record<string, FuncSpec>> = {
  json: { params: ["string"], call: identity },
  split: { params: ["string", "string"], call: identity },
  join: { params: ["string", "string"], call: identity },
  title: { params: ["string"], call: identity },
  lower: { params: ["string"], call: identity },
  upper: { params: ["string"], call: identity },
  truncate: { params: ["string", "int"], call: identity },
};
