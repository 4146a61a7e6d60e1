// Unpacks a build context tar into an empty directory, hashing each regular file as it is
// written (COPY's cache key then needs no second read). Hostile entries are refused: paths
// outside the directory, hard links to outside, and any path through a symlink the tar itself
// created (files are opened with O_NOFOLLOW as a second guard).
import { createHash } from "node:crypto";
import { constants, readFileSync } from "node:fs";
import { chmod, link, lstat, mkdir, open, rm, symlink } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Readable } from "node:stream";
import * as tarStream from "tar-stream";

export class UnsafeContextError extends Error {}

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

const writeFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

/** Unpacks `source` (a plain tar) into `dir`; returns sha256 hex digests of regular files by path. */
export async function extractContext(source: Readable, dir: string): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const symlinks = new Set<string>();
  // Paths this extraction created: anything else is known not to exist yet (saves an lstat
  // and a mkdir per file, which dominate small-file contexts).
  const seen = new Set<string>();
  const dirs = new Set<string>(["."]);
  const extract = tarStream.extract();
  source.on("error", (err) => extract.destroy(err));
  source.pipe(extract as unknown as NodeJS.WritableStream);
  const throughLink = (rel: string): boolean => {
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) if (symlinks.has(parts.slice(0, i).join("/"))) return true;
    return false;
  };
  const pending = new Pending(16);
  try {
    await unpackEntries();
  } finally {
    await pending.settle();
  }
  return digests;

  async function unpackEntries(): Promise<void> {
    for await (const entry of extract) {
      const h = entry.header;
      const why = unsafeEntry(h.name, h.type ?? "file", h.linkname ?? undefined);
      const rel = posix.normalize(h.name.replace(/^\.\//, "")).replace(/\/+$/, "");
      if (why || throughLink(rel)) {
        entry.resume();
        extract.destroy();
        throw new UnsafeContextError(why ?? `path escapes the context through a symlink: ${h.name}`);
      }
      const full = join(dir, rel);
      const mode = (h.mode ?? 0o644) & 0o7777;
      if (rel === "." || rel === "") {
        entry.resume();
        continue;
      }
      const parent = posix.dirname(rel);
      if (!dirs.has(parent)) {
        await mkdir(join(dir, parent), { recursive: true, mode: 0o755 });
        for (let p = parent; p !== "." && !dirs.has(p); p = posix.dirname(p)) {
          dirs.add(p);
          seen.add(p);
        }
      }
      // A path seen before may still be being written: let those writes finish first.
      if (seen.has(rel)) await pending.drain();
      const existing = seen.has(rel) ? await lstat(full).catch(() => undefined) : undefined;
      seen.add(rel);
      if (h.type !== "directory") dirs.delete(rel);
      switch (h.type) {
        case "directory":
          entry.resume();
          if (existing && !existing.isDirectory()) await rm(full, { force: true });
          if (!existing?.isDirectory()) await mkdir(full, { mode: 0o755 });
          dirs.add(rel);
          symlinks.delete(rel);
          await chmod(full, mode);
          break;
        case "file":
        case "contiguous-file": {
          // Replaced, never written through (it may be a hard link to another entry).
          if (existing) await rm(full, { recursive: true, force: true });
          symlinks.delete(rel);
          if ((h.size ?? 0) > smallFile) {
            await pending.drain();
            digests.set(rel, await writeStreamed(entry, full, mode, h.mtime));
            break;
          }
          // Small files: read here (the tar must be consumed in order), written concurrently.
          const chunks: Buffer[] = [];
          for await (const chunk of entry) chunks.push(chunk as Buffer);
          const data = Buffer.concat(chunks);
          digests.set(rel, createHash("sha256").update(data).digest("hex"));
          await pending.add(() => writeSmall(full, data, mode, h.mtime));
          break;
        }
        case "symlink":
          entry.resume();
          if (existing) await rm(full, { recursive: true, force: true });
          await symlink(h.linkname ?? "", full);
          symlinks.add(rel);
          break;
        case "link": {
          entry.resume();
          await pending.drain(); // its target may still be being written
          const target = posix.normalize(h.linkname ?? "");
          if (throughLink(target) || symlinks.has(target))
            throw new UnsafeContextError(`hard link through a symlink: ${h.name} -> ${h.linkname}`);
          if (existing) await rm(full, { recursive: true, force: true });
          await link(join(dir, target), full);
          const known = digests.get(target);
          if (known) digests.set(rel, known);
          break;
        }
        default:
          // Devices, fifos and the like have no place in a build context.
          entry.resume();
      }
    }
    await pending.drain();
  }
}

const smallFile = 1024 * 1024;
/** The daemon's umask: files whose mode it would not alter need no chmod after open. */
const umask = Number.parseInt(
  /^Umask:\s*([0-7]+)/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "22",
  8,
);

async function writeSmall(full: string, data: Buffer, mode: number, mtime: Date | undefined): Promise<void> {
  const fh = await open(full, writeFlags, mode);
  try {
    if (data.length) await fh.write(data);
    if ((mode & umask) !== 0 || mode > 0o777) await fh.chmod(mode);
    if (mtime) await fh.utimes(mtime, mtime);
  } finally {
    await fh.close();
  }
}

async function writeStreamed(
  entry: AsyncIterable<unknown>,
  full: string,
  mode: number,
  mtime: Date | undefined,
): Promise<string> {
  const hash = createHash("sha256");
  const fh = await open(full, writeFlags, 0o600);
  try {
    for await (const chunk of entry) {
      hash.update(chunk as Buffer);
      await fh.write(chunk as Buffer);
    }
    await fh.chmod(mode);
    if (mtime) await fh.utimes(mtime, mtime);
  } finally {
    await fh.close();
  }
  return hash.digest("hex");
}

/** At most `limit` writes in flight; the first failure is thrown by add() or drain(). */
class Pending {
  private readonly limit: number;
  private readonly running = new Set<Promise<void>>();
  private failure: unknown;

  constructor(limit: number) {
    this.limit = limit;
  }

  async add(job: () => Promise<void>): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.running.size >= this.limit) await Promise.race(this.running);
    const p: Promise<void> = job()
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Waits for every write, failed or not (before the directory is removed). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.running);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
    if (this.failure) throw this.failure;
  }
}
