// Byte ranges: the Range header of blob downloads (RFC 9110, single range) and the
// Content-Range header of chunked uploads ("<start>-<end>", inclusive, as the OCI spec writes it).

export type RangeRequest =
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

export function parseRangeHeader(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: "full" };
  const match = header.trim().match(/^bytes=(\d*)-(\d*)$/i);
  // Multiple ranges or other units: serving the whole blob is a valid answer.
  if (!match) return { kind: "full" };
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return { kind: "full" };
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || (last !== "" && Number(last) < start)) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end };
}

export interface ContentRange {
  start: number;
  end: number;
}

/** Parses an upload chunk's Content-Range; undefined when absent, throws on malformed values. */
export function parseContentRange(header: string | undefined): ContentRange | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const match = header.trim().match(/^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/i);
  if (!match) throw new SyntaxError(`malformed Content-Range: ${header.slice(0, 100)}`);
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw new SyntaxError(`malformed Content-Range: ${header.slice(0, 100)}`);
  }
  return { start, end };
}

/** The "Range" header value upload responses carry: the inclusive span received so far. */
export function uploadRangeHeader(size: number): string {
  return `0-${size > 0 ? size - 1 : 0}`;
}
