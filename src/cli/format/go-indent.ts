// Go's encoding/json Indent (and the Compact step json.Marshal applies to a Marshaler's bytes),
// on raw JSON text: keys keep their order and string/number tokens stay byte for byte, which
// JSON.parse + JSON.stringify would not guarantee. docker's `manifest inspect` prints registry
// manifests this way.

const HTML_ESCAPES: Record<string, string> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026" };

/** json.Compact: whitespace outside strings dropped; with escapeHTML, <, > and & as \u00XX. */
export function goCompact(src: string, escapeHTML: boolean): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (inString) {
      if (c === "\\") {
        out += c + (src[i + 1] ?? "");
        i++;
        continue;
      }
      if (c === '"') inString = false;
      if (escapeHTML && HTML_ESCAPES[c]) out += HTML_ESCAPES[c];
      else if (c === "\u2028" || c === "\u2029") out += c === "\u2028" ? "\\u2028" : "\\u2029";
      else out += c;
      continue;
    }
    if (c === '"') inString = true;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") continue;
    out += c;
  }
  return out;
}

/**
 * json.Indent(dst, src, prefix, indent): each element on its own line, `": "` after keys,
 * empty objects and arrays kept as {} and []; leading whitespace dropped, trailing kept.
 */
export function goIndent(src: string, prefix: string, indent: string): string {
  let out = "";
  let depth = 0;
  let inString = false;
  let needIndent = false; // an opening bracket was written; the newline waits for its content
  const newline = (d: number) => `\n${prefix}${indent.repeat(d)}`;
  const body = src.replace(/^[ \t\r\n]+/, "");
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (inString) {
      out += c;
      if (c === "\\") {
        out += body[i + 1] ?? "";
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      // Whitespace between tokens is dropped, except what trails the value.
      if (depth === 0 && !needIndent) out += c;
      continue;
    }
    if (needIndent && c !== "]" && c !== "}") {
      needIndent = false;
      depth++;
      out += newline(depth);
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case "{":
      case "[":
        out += c;
        needIndent = true;
        break;
      case ",":
        out += c + newline(depth);
        break;
      case ":":
        out += ": ";
        break;
      case "}":
      case "]":
        if (needIndent)
          needIndent = false; // {} and [] stay on one line
        else {
          depth--;
          out += newline(depth);
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}
