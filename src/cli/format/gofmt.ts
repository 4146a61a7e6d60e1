// Go's fmt.Sprint / Sprintln / Sprintf over template values (see govalue.ts for the mapping),
// including Go's error notation for bad verbs, missing and extra operands.

import { formatFloat } from "./gofloat.ts";
import { canBackquote, goQuote, goQuoteRune } from "./goquote.ts";
import { goTypeName, kindOf, sortedKeys } from "./govalue.ts";

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  wid: number | undefined;
  prec: number | undefined;
}

function noFlags(): Flags {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    wid: undefined,
    prec: undefined,
  };
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Pad to the width with spaces (or zeros when asked), counting runes as Go does. */
function pad(s: string, f: Flags, zeroOk = true): string {
  if (f.wid === undefined) return s;
  const n = f.wid - runeCount(s);
  if (n <= 0) return s;
  if (f.minus) return s + " ".repeat(n);
  return (f.zero && zeroOk ? "0" : " ").repeat(n) + s;
}

function badVerb(verb: string, arg: unknown): string {
  if (arg === null || arg === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(arg)}=${printValue(arg, "v", noFlags(), 0)})`;
}

function fmtInteger(v: number | bigint, verb: string, f: Flags): string {
  let n = typeof v === "bigint" ? v : BigInt(Math.trunc(v));
  const negative = n < 0n;
  if (negative) n = -n;
  let base = 10;
  if (verb === "b") base = 2;
  else if (verb === "o" || verb === "O") base = 8;
  else if (verb === "x" || verb === "X") base = 16;
  let digits = n.toString(base);
  if (verb === "X") digits = digits.toUpperCase();
  let prec = 0;
  if (f.prec !== undefined) {
    prec = f.prec;
    // Precision 0 and value 0 print nothing but the padding.
    if (prec === 0 && n === 0n) return pad("", { ...f, zero: false });
  } else if (f.zero && f.wid !== undefined && !f.minus) {
    prec = f.wid;
    if (negative || f.plus || f.space) prec--;
  }
  digits = digits.padStart(prec, "0");
  if (f.sharp) {
    if (base === 2) digits = "0b" + digits;
    else if (base === 8 && !digits.startsWith("0")) digits = "0" + digits;
    else if (base === 16) digits = (verb === "X" ? "0X" : "0x") + digits;
  }
  if (verb === "O") digits = "0o" + digits;
  const sign = negative ? "-" : f.plus ? "+" : f.space ? " " : "";
  return pad(sign + digits, f, false);
}

function fmtFloat(v: number, verb: string, prec: number, f: Flags): string {
  const p = f.prec ?? prec;
  let num = formatFloat(v, verb, p);
  if (f.sharp && !/[eE]/.test(num) && !num.includes(".") && /\d$/.test(num)) num += ".";
  let sign = "+";
  if (num.startsWith("-") || num.startsWith("+")) {
    sign = num[0]!;
    num = num.slice(1);
  }
  if (f.space && sign === "+" && !f.plus) sign = " ";
  if (num === "Inf" || num === "NaN") return pad((f.plus || sign !== "+" ? sign : "") + num, f, false);
  if (f.plus || sign !== "+") {
    if (f.zero && !f.minus && f.wid !== undefined && f.wid > num.length + 1) {
      return sign + "0".repeat(f.wid - num.length - 1) + num;
    }
    return pad(sign + num, f);
  }
  return pad(num, f);
}

function fmtString(s: string, verb: string, f: Flags): string {
  switch (verb) {
    case "v":
    case "s":
      if (f.prec !== undefined) s = Array.from(s).slice(0, f.prec).join("");
      return pad(s, f);
    case "q":
      return pad(f.sharp && canBackquote(s) ? "`" + s + "`" : goQuote(s), f);
    case "x":
    case "X": {
      let bytes = [...Buffer.from(s, "utf8")];
      if (f.prec !== undefined) bytes = bytes.slice(0, f.prec);
      const parts = bytes.map((b) => {
        const h = b.toString(16).padStart(2, "0");
        return verb === "X" ? h.toUpperCase() : h;
      });
      const prefix = f.sharp ? (verb === "X" ? "0X" : "0x") : "";
      const out = f.space ? parts.map((p) => prefix + p).join(" ") : prefix + parts.join("");
      return pad(out, f);
    }
    default:
      return badVerb(verb, s);
  }
}

/** fmt's printValue: a value, or one nested in a slice or map (where nil prints as <nil>). */
function printValue(v: unknown, verb: string, f: Flags, depth: number): string {
  const kind = kindOf(v);
  switch (kind) {
    case "invalid":
    case "nil":
      if (depth > 0 || verb === "v") return pad("<nil>", f);
      return badVerb(verb, v);
    case "bool":
      return verb === "v" || verb === "t" ? pad(String(v), f) : badVerb(verb, v);
    case "int":
      switch (verb) {
        case "v":
        case "d":
        case "b":
        case "o":
        case "O":
        case "x":
        case "X":
          return fmtInteger(v as number, verb === "v" ? "d" : verb, f);
        case "c":
          return pad(String.fromCodePoint(Number(v)), f);
        case "q":
          return pad(goQuoteRune(Number(v)), f);
        case "U":
          return pad("U+" + Number(v).toString(16).toUpperCase().padStart(4, "0"), f);
        case "e":
        case "E":
        case "f":
        case "F":
        case "g":
        case "G":
          // Lenient: JSON cannot tell 2.0 from 2, so float verbs accept integers.
          return fmtFloat(Number(v), verb === "F" ? "f" : verb, verb.toLowerCase() === "g" ? -1 : 6, f);
        default:
          return badVerb(verb, v);
      }
    case "float":
      switch (verb) {
        case "v":
          return fmtFloat(v as number, "g", -1, f);
        case "g":
        case "G":
          return fmtFloat(v as number, verb, -1, f);
        case "e":
        case "E":
        case "f":
          return fmtFloat(v as number, verb, 6, f);
        case "F":
          return fmtFloat(v as number, "f", 6, f);
        default:
          return badVerb(verb, v);
      }
    case "string":
      return fmtString(v as string, verb, f);
    case "slice": {
      const items = (v as unknown[]).map((x) => printValue(x, verb, f, depth + 1));
      return "[" + items.join(" ") + "]";
    }
    case "map": {
      const m = v as Record<string, unknown>;
      const items = sortedKeys(m).map(
        (k) => printValue(k, verb, f, depth + 1) + ":" + printValue(m[k], verb, f, depth + 1),
      );
      return "map[" + items.join(" ") + "]";
    }
    default:
      return verb === "v" || verb === "p" ? pad("0x0", f) : badVerb(verb, v);
  }
}

function printArg(arg: unknown, verb: string, f: Flags): string {
  if (verb === "T") return pad(goTypeName(arg), f);
  return printValue(arg, verb, f, 0);
}

/** fmt.Sprint with the %v verb (how a template prints a value). */
export function formatValue(v: unknown): string {
  return printArg(v, "v", noFlags());
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = "";
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === "string";
    if (i > 0 && !isString && !prevString) out += " ";
    out += formatValue(arg);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands and a trailing newline. */
export function sprintln(args: readonly unknown[]): string {
  return args.map(formatValue).join(" ") + "\n";
}

function parseNum(s: string, i: number): [number | undefined, number] {
  let j = i;
  while (j < s.length && s[j]! >= "0" && s[j]! <= "9") j++;
  return j === i ? [undefined, i] : [Number(s.slice(i, j)), j];
}

/** fmt.Sprintf (without explicit argument indexes). */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = "";
  let argNum = 0;
  let i = 0;
  const end = format.length;
  while (i < end) {
    const start = i;
    while (i < end && format[i] !== "%") i++;
    out += format.slice(start, i);
    if (i >= end) break;
    i++;
    const f = noFlags();
    for (; i < end; i++) {
      const c = format[i];
      if (c === "#") f.sharp = true;
      else if (c === "0") f.zero = !f.minus;
      else if (c === "+") f.plus = true;
      else if (c === "-") {
        f.minus = true;
        f.zero = false;
      } else if (c === " ") f.space = true;
      else break;
    }
    if (format[i] === "*") {
      i++;
      const w = args[argNum++];
      if (kindOf(w) !== "int") out += "%!(BADWIDTH)";
      else {
        f.wid = Number(w);
        if (f.wid < 0) {
          f.minus = true;
          f.zero = false;
          f.wid = -f.wid;
        }
      }
    } else {
      [f.wid, i] = parseNum(format, i);
    }
    if (format[i] === ".") {
      i++;
      if (format[i] === "*") {
        i++;
        const p = args[argNum++];
        if (kindOf(p) !== "int" || Number(p) < 0) out += "%!(BADPREC)";
        else f.prec = Number(p);
      } else {
        const [p, j] = parseNum(format, i);
        f.prec = p ?? 0;
        i = j;
      }
    }
    if (i >= end) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === "%") {
      out += "%";
    } else if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
    } else {
      if (verb === "v") {
        f.sharp = false;
        f.plus = false;
      }
      out += printArg(args[argNum++], verb, f);
    }
  }
  if (argNum < args.length) {
    const extra = args.slice(argNum).map((a) => (a == null ? "<nil>" : `${goTypeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(", ")})`;
  }
  return out;
}
