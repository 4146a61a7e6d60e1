// Where COPY/ADD read from: the build context (an in-memory index over a spooled tar, see
// context-index.ts) or a host directory (another stage or image, mounted). Paths are relative
// to the source's root and "/"-separated; symlinks are followed only inside the root.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, lstat, open, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { globSegments } from "../../util/glob.ts";
import { resolveInRoot } from "../runtime/user.ts";

export interface SourceStat {
  kind: "file" | "dir" | "symlink" | "other";
  mode: number;
  mtime: Date;
}

export interface SourceFs {
  lstat(rel: string): Promise<SourceStat | undefined>;
  /** Names in a directory (unsorted). */
  readdir(rel: string): Promise<string[]>;
  readlink(rel: string): Promise<string>;
  /** `rel` with every symlink on the way followed, staying inside the root ("." for the root). */
  resolve(rel: string): Promise<string>;
  /** Paths matching a pattern (Go's filepath.Match rules, see util/glob.ts), relative to the root. */
  glob(pattern: string): Promise<string[]>;
  /** sha256 hex of a regular file's content. */
  digest(rel: string): Promise<string>;
  /** The first `n` bytes of a regular file (fewer when it is shorter). */
  head(rel: string, n: number): Promise<Buffer>;
  read(rel: string): Readable;
  /** A small regular file's bytes when they can be had without waiting (else undefined). */
  smallContent?(rel: string): Buffer | undefined;
  /** Writes a regular file's content to a new host file `dest` with `mode`. */
  copyTo(rel: string, dest: string, mode: number): Promise<void>;
}

const kindOf = (st: { isDirectory(): boolean; isSymbolicLink(): boolean; isFile(): boolean }) =>
  st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : "other";

/** A directory on the host (a mounted stage or image). */
export class DirSource implements SourceFs {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private abs(rel: string): string {
    return join(this.dir, rel);
  }

  async lstat(rel: string): Promise<SourceStat | undefined> {
    const st = await lstat(this.abs(rel)).catch(() => undefined);
    return st && { kind: kindOf(st), mode: st.mode & 0o7777, mtime: st.mtime };
  }

  readdir(rel: string): Promise<string[]> {
    return readdir(this.abs(rel));
  }

  readlink(rel: string): Promise<string> {
    return readlink(this.abs(rel));
  }

  async resolve(rel: string): Promise<string> {
    return (await resolveInRoot(this.dir, rel)).replace(/^\/+/, "") || ".";
  }

  glob(pattern: string): Promise<string[]> {
    return globSegments(
      pattern,
      (rel) => this.readdir(rel),
      async (rel) => (await this.lstat(rel))?.kind === "dir",
    );
  }

  async digest(rel: string): Promise<string> {
    const hash = createHash("sha256");
    await pipeline(createReadStream(this.abs(rel)), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) hash.update(chunk);
    });
    return hash.digest("hex");
  }

  async head(rel: string, n: number): Promise<Buffer> {
    const fh = await open(this.abs(rel), "r");
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  read(rel: string): Readable {
    return createReadStream(this.abs(rel));
  }

  async copyTo(rel: string, dest: string): Promise<void> {
    // copyFile keeps the source's mode; wharfd runs as root, so new files are already 0:0.
    await copyFile(this.abs(rel), dest);
  }
}
