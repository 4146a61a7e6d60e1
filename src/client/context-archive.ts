// The `.dockercontext` archive of `docker context export/import`: a plain tar holding meta.json
// and tls/<endpoint>/<file>, owned by 0:0 with a zero mtime, as docker/cli's store.Export
// writes it. The members are a few KiB, so the archive is built and read in memory. Read by hand
// rather than with tar-stream: docker's export never closes its tar writer, so the last member's
// padding is missing as well as the end blocks, which tar-stream refuses as a cut archive.

const BLOCK = 512;

export interface ArchiveEntry {
  path: string;
  /** Absent for a directory. */
  data?: Buffer;
  mode: number;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function header(entry: ArchiveEntry): Buffer {
  const h = Buffer.alloc(BLOCK);
  const dir = entry.data === undefined;
  h.write(entry.path, 0, 100, "utf8");
  h.write(octal(entry.mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii");
  h.write(octal(0, 8), 116, "ascii");
  h.write(octal(entry.data?.length ?? 0, 12), 124, "ascii");
  h.write(octal(0, 12), 136, "ascii");
  h.write("        ", 148, "ascii");
  h.write(dir ? "5" : "0", 156, "ascii");
  h.write("ustar\x0000", 257, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}

/** A tar of the entries, with the two zero blocks that end an archive. */
export function packArchive(entries: readonly ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    if (Buffer.byteLength(e.path) > 100) throw new Error(`archive path too long: ${e.path}`);
    parts.push(header(e));
    if (e.data) {
      parts.push(e.data);
      const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function field(h: Buffer, start: number, len: number): string {
  const raw = h.subarray(start, start + len);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul < 0 ? len : nul).toString("utf8");
}

/**
 * The files of a tar (directories are left out). docker's own export ends without the zero
 * blocks, so the end of the buffer ends the archive too; a cut-off member is an error.
 */
export function unpackArchive(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let off = 0;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] as number);
    if (Number.parseInt(field(h, 148, 8).trim(), 8) !== sum)
      throw new Error("archive/tar: invalid tar header");
    const size = Number.parseInt(field(h, 124, 12).trim() || "0", 8);
    const type = field(h, 156, 1) || "0";
    const prefix = field(h, 345, 155);
    const name = prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100);
    off += BLOCK;
    if (off + size > tar.length) throw new Error("unexpected EOF");
    if (type === "0") files.set(name.replace(/^\.\//, ""), Buffer.from(tar.subarray(off, off + size)));
    off += Math.ceil(size / BLOCK) * BLOCK;
  }
  if (off < tar.length && off + BLOCK > tar.length && tar.subarray(off).some((b) => b !== 0)) {
    throw new Error("unexpected EOF");
  }
  return files;
}
