// Reads the headers of a tar stream as it flows past, without unpacking anything: the layer
// applier needs each member's path, type, link target and size (whiteouts, hard link checks,
// content size) while GNU tar does the extraction. Understands ustar (name + prefix), GNU long
// names/links ('L'/'K') and pax extended headers ('x' path, linkpath, size); skips content.
import { Transform, type TransformCallback } from "node:stream";

export interface TarMember {
  path: string;
  /** The ustar type flag: "0" file, "1" hard link, "2" symlink, "5" directory … */
  type: string;
  linkpath: string;
  size: number;
}

const BLOCK = 512;

/** A pass-through stream that calls `onMember` for every member of the tar flowing through it. */
export class TarHeaderScanner extends Transform {
  private readonly onMember: (member: TarMember) => void;
  private pending = Buffer.alloc(0);
  /** Content bytes (with padding) still to skip before the next header. */
  private skip = 0;
  /** Content of a 'L', 'K' or 'x' header being collected, and which. */
  private meta: { kind: string; need: number; chunks: Buffer[] } | undefined;
  /** The unpadded size of that content. */
  private metaSize = 0;
  private longName: string | undefined;
  private longLink: string | undefined;
  private pax: Map<string, string> = new Map();
  private ended = false;

  constructor(onMember: (member: TarMember) => void) {
    super();
    this.onMember = onMember;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      if (!this.ended) this.scan(chunk);
    } catch (err) {
      done(err as Error);
      return;
    }
    done(null, chunk);
  }

  private scan(chunk: Buffer): void {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    while (at < buf.length && !this.ended) {
      if (this.meta) {
        const take = Math.min(this.meta.need, buf.length - at);
        this.meta.chunks.push(buf.subarray(at, at + take));
        this.meta.need -= take;
        at += take;
        if (this.meta.need === 0) this.finishMeta();
        continue;
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, buf.length - at);
        this.skip -= take;
        at += take;
        continue;
      }
      if (buf.length - at < BLOCK) break;
      this.header(buf.subarray(at, at + BLOCK));
      at += BLOCK;
    }
    buf = buf.subarray(at);
    this.pending = this.ended ? Buffer.alloc(0) : Buffer.from(buf);
  }

  private header(block: Buffer): void {
    if (block.every((b) => b === 0)) {
      // End of archive (two zero blocks; one is enough to stop looking).
      this.ended = true;
      return;
    }
    const type = String.fromCharCode(block[156] ?? 0x30) || "0";
    const size = readSize(block.subarray(124, 136));
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === "L" || type === "K" || type === "x") {
      this.meta = { kind: type, need: padded, chunks: [] };
      this.metaSize = size;
      if (padded === 0) this.finishMeta();
      return;
    }
    if (type === "g") {
      this.skip = padded;
      return;
    }
    const member: TarMember = {
      path: this.pax.get("path") ?? this.longName ?? ustarName(block),
      type: type === "\0" ? "0" : type,
      linkpath: this.pax.get("linkpath") ?? this.longLink ?? cString(block.subarray(157, 257)),
      size: this.pax.has("size") ? Number(this.pax.get("size")) : size,
    };
    this.longName = undefined;
    this.longLink = undefined;
    this.pax = new Map();
    // Hard links, symlinks, directories and devices carry no content whatever size says.
    const hasContent = member.type === "0" || member.type === "7" || member.type === "S";
    this.skip = hasContent ? Math.ceil(member.size / BLOCK) * BLOCK : 0;
    this.onMember(member);
  }

  private finishMeta(): void {
    const meta = this.meta;
    if (!meta) return;
    this.meta = undefined;
    const data = Buffer.concat(meta.chunks).subarray(0, this.metaSize);
    if (meta.kind === "L") this.longName = cString(data);
    else if (meta.kind === "K") this.longLink = cString(data);
    else this.pax = parsePax(data);
  }
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString("utf8");
}

function ustarName(block: Buffer): string {
  const name = cString(block.subarray(0, 100));
  const isUstar = block.subarray(257, 262).toString("latin1") === "ustar";
  const prefix = isUstar ? cString(block.subarray(345, 500)) : "";
  return prefix ? `${prefix}/${name}` : name;
}

/** Octal, or GNU's base-256 for sizes past 8 GiB (high bit of the first byte set). */
function readSize(field: Buffer): number {
  if ((field[0] ?? 0) & 0x80) {
    let n = (field[0] ?? 0) & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = cString(field).trim();
  if (text === "") return 0;
  const n = Number.parseInt(text, 8);
  if (Number.isNaN(n)) throw new Error("invalid tar header: bad size field");
  return n;
}

/** pax records: "<length> <key>=<value>\n", length counting the whole record. */
function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const len = Number.parseInt(data.subarray(at, space).toString("latin1"), 10);
    if (!(len > 0)) break;
    const record = data.subarray(space + 1, at + len - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}
