// Go's strconv.Quote / QuoteRune: printable runes stay as they are, the rest are escaped.

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

const ESCAPES: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

function escapeRune(ch: string, quote: string): string {
  if (ch === quote || ch === "\\") return "\\" + ch;
  if (PRINTABLE.test(ch)) return ch;
  const esc = ESCAPES[ch];
  if (esc !== undefined) return esc;
  const cp = ch.codePointAt(0)!;
  // A lone surrogate cannot be UTF-8; Go would see the replacement character.
  if (cp >= 0xd800 && cp <= 0xdfff) return "\\ufffd";
  if (cp < 0x20 || cp === 0x7f) return "\\x" + hex(cp, 2);
  if (cp < 0x10000) return "\\u" + hex(cp, 4);
  return "\\U" + hex(cp, 8);
}

/** strconv.Quote */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch, '"');
  return out + '"';
}

/** strconv.QuoteRune */
export function goQuoteRune(cp: number): string {
  const valid = cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
  return "'" + escapeRune(String.fromCodePoint(valid ? cp : 0xfffd), "'") + "'";
}

/** strconv.CanBackquote: no control characters (except tab) and no backquote. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    if (ch === "`" || ch === "\ufeff") return false;
    const cp = ch.codePointAt(0)!;
    if ((cp < 0x20 && ch !== "\t") || cp === 0x7f) return false;
  }
  return true;
}
