// docker ps's ID and COMMAND columns: IDs cut to 12 characters, commands ellipsized to a
// display width and Go-quoted.

import { goQuote } from "./goquote.ts";
import { isWide } from "./width.ts";

/** formatter.TruncateID: drop an algorithm prefix ("sha256:") and keep 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(":");
  const hex = i >= 0 ? id.slice(i + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

/** formatter.Ellipsis: cut to maxWidth display columns, the last being "…". */
export function ellipsis(s: string, maxWidth: number): string {
  if (maxWidth <= 0) return "";
  const runes = Array.from(s);
  if (maxWidth === 1) return runes[0] ?? "";
  if (/^[\x00-\x7f]*$/.test(s)) return s.length <= maxWidth ? s : s.slice(0, maxWidth - 1) + "…";
  const display: number[] = [];
  let width = 0;
  for (const r of runes) {
    width += isWide(r.codePointAt(0)!) ? 2 : 1;
    display.push(width);
  }
  if (width <= maxWidth) return s;
  for (let i = 0; i < display.length - 1; i++) {
    if (display[i]! <= maxWidth - 1 && display[i + 1]! > maxWidth - 1)
      return runes.slice(0, i + 1).join("") + "…";
  }
  return s;
}

/**
 * The COMMAND column: ellipsized to maxWidth (20 as docker ps truncates; Infinity for
 * --no-trunc), then quoted like Go's strconv.Quote.
 */
export function shortenCommand(cmd: string, maxWidth = 20): string {
  return goQuote(ellipsis(cmd, maxWidth));
}
