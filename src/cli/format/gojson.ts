// The `json` template function as docker's CLI defines it: encoding/json with HTML escaping off
// and no trailing newline. Object keys keep their order (the Engine API's JSON already lists
// struct fields in Go's order and map keys sorted); functions (methods) are not encoded.

export interface GoJsonOptions {
  /** Escape <, > and & as json.Marshal does (docker's list rows marshal themselves that way). */
  escapeHTML?: boolean;
  /** Sort the top-level object's keys, as Go does for a map. */
  sortKeys?: boolean;
}

const HTML_ESCAPES: Record<string, string> = { "<": "\\u003c", ">": "\\u003e", "&": "\\u0026" };

function encodeString(s: string, html: boolean): string {
  // JSON.stringify escapes like Go except for U+2028/U+2029, which Go always escapes.
  const out = JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => (c === "\u2028" ? "\\u2028" : "\\u2029"));
  return html ? out.replace(/[<>&]/g, (c) => HTML_ESCAPES[c]!) : out;
}

function encode(v: unknown, html: boolean, sortKeys = false): string | undefined {
  switch (typeof v) {
    case "undefined":
      return "null";
    case "string":
      return encodeString(v, html);
    case "number":
      // Go refuses NaN and infinities; docker's json func then prints nothing.
      if (!Number.isFinite(v)) return undefined;
      return JSON.stringify(v);
    case "bigint":
      return v.toString();
    case "boolean":
      return v ? "true" : "false";
    case "function":
      return undefined;
    default: {
      if (v === null) return "null";
      if (Array.isArray(v)) {
        const items: string[] = [];
        for (const item of v) {
          const enc = encode(item, html);
          if (enc === undefined) return undefined;
          items.push(enc);
        }
        return "[" + items.join(",") + "]";
      }
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return encode(toJSON.call(v), html);
      const fields: string[] = [];
      const entries = Object.entries(v as Record<string, unknown>);
      if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [k, val] of entries) {
        if (typeof val === "function") continue;
        const enc = encode(val, html);
        if (enc === undefined) return undefined;
        fields.push(encodeString(k, html) + ":" + enc);
      }
      return "{" + fields.join(",") + "}";
    }
  }
}

/** docker's `json` template function: Go's JSON of the value, "" when Go could not encode it. */
export function goJson(v: unknown, opts: GoJsonOptions = {}): string {
  return encode(v, opts.escapeHTML ?? false, opts.sortKeys) ?? "";
}
