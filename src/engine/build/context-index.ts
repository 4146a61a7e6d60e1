// The build context without unpacking it: while the context tar streams in, each entry's
// metadata and content digest go into an in-memory index and the file contents are appended to
// one spool file. A cached rebuild then never writes the context's files to disk (creating
// thousands of small files was most of its time); COPY reads from the spool only on a cache
// miss, and a real directory is made only when a RUN bind-mounts the context.
// Hostile entries are refused as an unpacker would: paths outside the root, hard links to
// outside, and any path through a symlink the tar itself created.
import { createHash } from "node:crypto";
import { createReadStream, readSync } from "node:fs";
import { chmod, type FileHandle, mkdir, open, symlink, utimes } from "node:fs/promises";
import { join, posix } from "node:path";
import { Readable } from "node:stream";
import * as tarStream from "tar-stream";
import { daemonUmask as umask } from "../../platform/host.ts";
import { pathMatcher } from "../../util/glob.ts";
import { mapLimit } from "../../util/map-limit.ts";
import type { SourceFs, SourceStat } from "./source-fs.ts";

export class UnsafeContextError extends Error {}

interface IndexEntry {
  kind: "file" | "dir" | "symlink";
  mode: number;
  mtime: Date;
  /** Regular files: where the content is in the spool, and its sha256 hex. */
  offset: number;
  size: number;
  digest: string;
  linkname: string;
}

/** Why an entry may not be unpacked, or undefined when it is safe by name. */
export function unsafeEntry(path: string, type: string, linkpath: string | undefined): string | undefined {
  const norm = posix.normalize(path.replace(/^\.\//, ""));
  if (path.startsWith("/") || norm === ".." || norm.startsWith("../"))
    return `path escapes the context: ${path}`;
  if (type === "link" && linkpath !== undefined) {
    const target = posix.normalize(linkpath);
    if (linkpath.startsWith("/") || target === ".." || target.startsWith("../"))
      return `hard link escapes the context: ${path} -> ${linkpath}`;
  }
  return undefined;
}

const emptyDigest = createHash("sha256").digest("hex");
const maxSymlinks = 40;
const flushAt = 1 << 20;

export class ContextIndex implements SourceFs {
  private readonly entries = new Map<string, IndexEntry>();
  private readonly children = new Map<string, Set<string>>([[".", new Set()]]);
  private readonly spool: string | undefined;
  private fh: FileHandle | undefined;

  private constructor(spool: string | undefined, fh: FileHandle | undefined) {
    this.spool = spool;
    this.fh = fh;
    this.entries.set(".", dirEntry(0o755, new Date()));
  }

  /** A context with no files (the request body was a bare Dockerfile). */
  static empty(): ContextIndex {
    return new ContextIndex(undefined, undefined);
  }

  /** Reads a plain tar from `source`, spooling file contents to `spool` (a new file). */
  static async receive(source: Readable, spool: string): Promise<ContextIndex> {
    const fh = await open(spool, "w+", 0o600);
    const index = new ContextIndex(spool, fh);
    try {
      await index.ingest(source, fh);
    } catch (err) {
      await index.close();
      throw err;
    }
    return index;
  }

  private async ingest(source: Readable, fh: FileHandle): Promise<void> {
    let offset = 0;
    let queued: Buffer[] = [];
    let queuedBytes = 0;
    const flush = async () => {
      if (queuedBytes === 0) return;
      const chunks = queued;
      queued = [];
      queuedBytes = 0;
      await fh.writev(chunks);
    };
    const append = async (chunk: Buffer) => {
      queued.push(chunk);
      queuedBytes += chunk.length;
      offset += chunk.length;
      if (queuedBytes >= flushAt) await flush();
    };
    const extract = tarStream.extract();
    source.on("error", (err) => extract.destroy(err));
    source.pipe(extract as unknown as NodeJS.WritableStream);
    for await (const entry of extract) {
      const h = entry.header;
      const why = unsafeEntry(h.name, h.type ?? "file", h.linkname ?? undefined);
      const rel = posix.normalize(h.name.replace(/^\.\//, "")).replace(/\/+$/, "");
      if (why || this.throughSymlink(rel)) {
        entry.resume();
        extract.destroy();
        throw new UnsafeContextError(why ?? `path escapes the context through a symlink: ${h.name}`);
      }
      if (rel === "." || rel === "") {
        entry.resume();
        continue;
      }
      const mode = (h.mode ?? 0o644) & 0o7777;
      const mtime = h.mtime ?? new Date(0);
      switch (h.type) {
        case "directory":
          entry.resume();
          this.put(rel, dirEntry(mode, mtime));
          break;
        case "file":
        case "contiguous-file": {
          const start = offset;
          const hash = createHash("sha256");
          for await (const chunk of entry) {
            hash.update(chunk as Buffer);
            await append(chunk as Buffer);
          }
          const size = offset - start;
          this.put(rel, {
            kind: "file",
            mode,
            mtime,
            offset: start,
            size,
            digest: hash.digest("hex"),
            linkname: "",
          });
          break;
        }
        case "symlink":
          entry.resume();
          this.put(rel, { ...dirEntry(0o777, mtime), kind: "symlink", linkname: h.linkname ?? "" });
          break;
        case "link": {
          entry.resume();
          const target = posix.normalize(h.linkname ?? "");
          const linked = this.entries.get(target);
          if (this.throughSymlink(target) || linked?.kind === "symlink")
            throw new UnsafeContextError(`hard link through a symlink: ${h.name} -> ${h.linkname}`);
          if (linked?.kind !== "file")
            throw new Error(`hard link to a missing file: ${h.name} -> ${h.linkname}`);
          this.put(rel, { ...linked });
          break;
        }
        default:
          // Devices, fifos and the like have no place in a build context.
          entry.resume();
      }
    }
    await flush();
  }

  /** Whether a proper prefix of `rel` is a symlink the tar created. */
  private throughSymlink(rel: string): boolean {
    let slash = rel.indexOf("/");
    while (slash >= 0) {
      if (this.entries.get(rel.slice(0, slash))?.kind === "symlink") return true;
      slash = rel.indexOf("/", slash + 1);
    }
    return false;
  }

  private put(rel: string, entry: IndexEntry): void {
    const parent = posix.dirname(rel);
    this.ensureDir(parent);
    const old = this.entries.get(rel);
    if (old?.kind === "dir" && entry.kind !== "dir") this.dropTree(rel);
    this.entries.set(rel, entry);
    this.children.get(parent)?.add(posix.basename(rel));
    if (entry.kind === "dir" && !this.children.has(rel)) this.children.set(rel, new Set());
  }

  /** Parent directories the tar did not list are made as an unpacker would (0755). */
  private ensureDir(rel: string): void {
    const known = this.entries.get(rel);
    if (known?.kind === "dir") return;
    if (known) throw new Error(`not a directory: ${rel}`);
    this.put(rel, dirEntry(0o755, new Date()));
  }

  private dropTree(rel: string): void {
    for (const name of this.children.get(rel) ?? []) {
      const child = `${rel}/${name}`;
      if (this.entries.get(child)?.kind === "dir") this.dropTree(child);
      this.entries.delete(child);
    }
    this.children.delete(rel);
  }

  private need(rel: string): IndexEntry {
    const e = this.entries.get(norm(rel));
    if (!e) throw Object.assign(new Error(`no such file in the build context: ${rel}`), { code: "ENOENT" });
    return e;
  }

  async lstat(rel: string): Promise<SourceStat | undefined> {
    const e = this.entries.get(norm(rel));
    return e && { kind: e.kind, mode: e.mode, mtime: e.mtime };
  }

  async readdir(rel: string): Promise<string[]> {
    const names = this.children.get(norm(rel));
    if (!names) throw Object.assign(new Error(`not a directory: ${rel}`), { code: "ENOTDIR" });
    return [...names];
  }

  async readlink(rel: string): Promise<string> {
    return this.need(rel).linkname;
  }

  async resolve(rel: string): Promise<string> {
    const pending = rel.split("/").filter((c) => c !== "" && c !== ".");
    let current = ".";
    let links = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === "..") {
        current = posix.dirname(current);
        continue;
      }
      const next = current === "." ? part : `${current}/${part}`;
      const e = this.entries.get(next);
      if (!e) return posix.join(next, ...pending);
      if (e.kind !== "symlink") {
        current = next;
        continue;
      }
      if (++links > maxSymlinks) throw new Error(`too many levels of symbolic links: ${rel}`);
      if (e.linkname.startsWith("/")) current = ".";
      pending.unshift(...e.linkname.split("/").filter((c) => c !== "" && c !== "."));
    }
    return current;
  }

  async glob(pattern: string): Promise<string[]> {
    const out: string[] = [];
    const matches = pathMatcher(pattern);
    for (const rel of this.entries.keys()) if (rel !== "." && matches(rel)) out.push(rel);
    return out;
  }

  async digest(rel: string): Promise<string> {
    const e = this.need(rel);
    return e.kind === "file" ? e.digest : emptyDigest;
  }

  async head(rel: string, n: number): Promise<Buffer> {
    const e = this.need(rel);
    const buf = Buffer.alloc(Math.min(n, e.size));
    if (buf.length && this.fh) await this.fh.read(buf, 0, buf.length, e.offset);
    return buf;
  }

  read(rel: string): Readable {
    const e = this.need(rel);
    if (!this.spool || e.size === 0) return Readable.from([]);
    return createReadStream(this.spool, { start: e.offset, end: e.offset + e.size - 1 });
  }

  /** Files up to 256 KiB: read from the spool (in the page cache) with one synchronous pread. */
  smallContent(rel: string): Buffer | undefined {
    const e = this.entries.get(norm(rel));
    if (e?.kind !== "file" || e.size > 256 * 1024 || !this.fh) return undefined;
    const buf = Buffer.allocUnsafe(e.size);
    if (e.size && readSync(this.fh.fd, buf, 0, e.size, e.offset) !== e.size) return undefined;
    return buf;
  }

  async copyTo(rel: string, dest: string, mode: number): Promise<void> {
    const e = this.need(rel);
    const out = await open(dest, "wx", mode);
    try {
      const buf = Buffer.allocUnsafe(Math.min(e.size, flushAt));
      for (let done = 0; done < e.size; ) {
        const n = Math.min(buf.length, e.size - done);
        const { bytesRead } = await (this.fh as FileHandle).read(buf, 0, n, e.offset + done);
        if (bytesRead === 0) throw new Error(`build context spool is short: ${rel}`);
        await out.write(buf, 0, bytesRead);
        done += bytesRead;
      }
      // The process umask may have taken bits off; set-id bits need an explicit chmod too.
      if ((mode & umask) !== 0 || mode > 0o777) await out.chmod(mode);
    } finally {
      await out.close();
    }
  }

  /** Writes the whole context into `dir` (an empty directory), for RUN bind mounts. */
  async materialize(dir: string): Promise<void> {
    const dirs: Array<[string, IndexEntry]> = [];
    const others: Array<[string, IndexEntry]> = [];
    for (const [rel, e] of this.entries) {
      if (rel === ".") continue;
      (e.kind === "dir" ? dirs : others).push([rel, e]);
    }
    // Map order puts parents first: each directory exists before what is in it.
    for (const [rel] of dirs) await mkdir(join(dir, rel), { mode: 0o755 });
    await mapLimit(others, 16, async ([rel, e]) => {
      const host = join(dir, rel);
      if (e.kind === "symlink") await symlink(e.linkname, host);
      else {
        await this.copyTo(rel, host, e.mode);
        await utimes(host, e.mtime, e.mtime);
      }
    });
    for (const [rel, e] of dirs.reverse()) {
      await chmod(join(dir, rel), e.mode);
      await utimes(join(dir, rel), e.mtime, e.mtime);
    }
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}

function dirEntry(mode: number, mtime: Date): IndexEntry {
  return { kind: "dir", mode, mtime, offset: 0, size: 0, digest: "", linkname: "" };
}

function norm(rel: string): string {
  const n = posix.normalize(rel).replace(/^\/+/, "").replace(/\/+$/, "");
  return n === "" ? "." : n;
}
