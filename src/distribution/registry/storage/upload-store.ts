// Blob upload sessions. Each session is a directory holding the bytes received so far and
// info.json with the number of bytes acknowledged. A session only ever counts acknowledged
// bytes: a failed or aborted chunk is cut off again, and bytes a crash left behind beyond the
// acknowledged size are cut off before the next chunk. Bytes become a blob only once their
// digest checks out.
// The running sha256 lives in memory so completing a chunked upload needs no second read;
// after a restart (or for sha512) the data file is hashed again from disk.

import type { Hash } from "node:crypto";
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readFile, rm, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Digest, type DigestAlgorithm, newHash } from "../digest.ts";
import { RegistryError } from "../errors.ts";
import { isNotFound, writeFileAtomic } from "./atomic.ts";
import { type BlobStore, readdirOrEmpty, STREAM_CHUNK_BYTES } from "./blob-store.ts";
import type { RegistryLayout } from "./layout.ts";

export interface UploadSession {
  readonly id: string;
  readonly repository: string;
  readonly startedAt: number;
  /** Bytes received and acknowledged so far. */
  readonly size: number;
}

export interface AppendOptions {
  /** First byte offset the client claims for this chunk (from Content-Range). */
  start?: number;
  /** Last byte offset, inclusive (from Content-Range). */
  end?: number;
  /**
   * Record the new size as acknowledged (default). Skipped when the upload is completed right
   * after, in the same request: there is no acknowledgement to remember then.
   */
  acknowledge?: boolean;
}

interface RunningHash {
  hash: Hash;
  bytes: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class UploadStore {
  private readonly layout: RegistryLayout;
  private readonly blobs: BlobStore;
  private readonly expiryMs: number;
  private readonly running = new Map<string, RunningHash>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(layout: RegistryLayout, blobs: BlobStore, expiryMs: number) {
    this.layout = layout;
    this.blobs = blobs;
    this.expiryMs = expiryMs;
  }

  async create(repository: string): Promise<UploadSession> {
    const id = randomUUID();
    const dir = this.layout.uploadDir(id);
    await mkdir(dir, { recursive: true });
    const startedAt = Date.now();
    await (await open(this.dataPath(id), "wx", 0o644)).close();
    await this.writeInfo({ id, repository, startedAt, size: 0 });
    this.running.set(id, { hash: newHash("sha256"), bytes: 0 });
    return { id, repository, startedAt, size: 0 };
  }

  /** The session, or undefined when unknown, expired, or opened for another repository. */
  async get(repository: string, id: string, now: number = Date.now()): Promise<UploadSession | undefined> {
    if (!UUID.test(id)) return undefined;
    const info = await this.readInfo(id);
    if (!info || info.repository !== repository) return undefined;
    let lastActivity: number;
    try {
      lastActivity = (await stat(this.dataPath(id))).mtimeMs;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (now - Math.max(lastActivity, info.updatedAt) > this.expiryMs) {
      await this.remove(id);
      return undefined;
    }
    return { id, repository, startedAt: info.startedAt, size: info.size };
  }

  /** Serializes work on one session: concurrent chunks are applied one after the other. */
  async withLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(work);
    this.locks.set(id, current);
    try {
      return await current;
    } finally {
      if (this.locks.get(id) === current) this.locks.delete(id);
    }
  }

  /**
   * Appends a chunk, streaming it to disk. Out-of-order chunks get 416; a chunk whose length
   * disagrees with its Content-Range, or that fails mid-way, is cut off again.
   */
  async append(session: UploadSession, body: Readable, options: AppendOptions = {}): Promise<number> {
    const path = this.dataPath(session.id);
    const before = await this.acknowledgedSize(session.id);
    if (options.start !== undefined && options.start !== before) {
      throw new RegistryError("BLOB_UPLOAD_INVALID", `chunk starts at ${options.start}, expected ${before}`, {
        status: 416,
        detail: { expectedOffset: before },
      });
    }
    let running = this.running.get(session.id);
    if (running && running.bytes !== before) {
      this.running.delete(session.id);
      running = undefined;
    }
    const checkpoint = running?.hash.copy();
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        running?.hash.update(chunk);
        done(null, chunk);
      },
    });
    const rollback = async () => {
      await truncate(path, before).catch(() => undefined);
      if (running && checkpoint) this.running.set(session.id, { hash: checkpoint, bytes: before });
      else this.running.delete(session.id);
    };
    try {
      await pipeline(
        body,
        count,
        createWriteStream(path, {
          flags: "r+",
          start: before,
          flush: true,
          highWaterMark: STREAM_CHUNK_BYTES,
        }),
      );
    } catch (err) {
      await rollback();
      throw err;
    }
    if (options.end !== undefined && before + received - 1 !== options.end) {
      await rollback();
      throw new RegistryError("SIZE_INVALID", `chunk has ${received} bytes, Content-Range says otherwise`);
    }
    if (options.acknowledge !== false) {
      try {
        // Acknowledging is recording the new size; the data itself was flushed by the stream.
        await this.writeInfo({ ...session, size: before + received });
      } catch (err) {
        await rollback();
        throw err;
      }
    }
    if (running) running.bytes = before + received;
    return before + received;
  }

  /**
   * Verifies the received bytes against the digest and moves them into the blob store.
   * On a mismatch the session is discarded: nothing is stored.
   */
  async complete(session: UploadSession, digest: Digest, size?: number): Promise<number> {
    const path = this.dataPath(session.id);
    if (size === undefined) size = await this.acknowledgedSize(session.id);
    else await truncate(path, size);
    const running = this.running.get(session.id);
    const hex =
      digest.algorithm === "sha256" && running && running.bytes === size
        ? running.hash.copy().digest("hex")
        : await hashFile(path, digest.algorithm);
    if (hex !== digest.hex) {
      await this.remove(session.id);
      throw new RegistryError("DIGEST_INVALID", `content does not match digest ${digest.value}`, {
        detail: { digest: digest.value },
      });
    }
    await this.blobs.commitFile(path, digest);
    await this.remove(session.id);
    return size;
  }

  async remove(id: string): Promise<void> {
    this.running.delete(id);
    await rm(this.layout.uploadDir(id), { recursive: true, force: true });
  }

  /** Removes sessions idle for longer than the expiry; returns their ids. */
  async purgeExpired(now: number = Date.now(), dryRun = false): Promise<string[]> {
    const purged: string[] = [];
    for (const id of await readdirOrEmpty(this.layout.uploadsDir)) {
      if (this.locks.has(id)) continue;
      let lastActivity: number;
      try {
        lastActivity = (await stat(this.dataPath(id))).mtimeMs;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // A session directory without data was interrupted while being created.
        lastActivity = (await stat(this.layout.uploadDir(id)).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
      }
      if (now - lastActivity <= this.expiryMs) continue;
      purged.push(id);
      if (!dryRun) await this.remove(id);
    }
    return purged;
  }

  private dataPath(id: string): string {
    return join(this.layout.uploadDir(id), "data");
  }

  /** The acknowledged size; cuts off unacknowledged bytes a crash may have left behind. */
  private async acknowledgedSize(id: string): Promise<number> {
    const path = this.dataPath(id);
    const info = await this.readInfo(id);
    const onDisk = (await stat(path)).size;
    const size = info ? Math.min(info.size, onDisk) : onDisk;
    if (onDisk > size) await truncate(path, size);
    return size;
  }

  private async writeInfo(session: UploadSession): Promise<void> {
    const { repository, startedAt, size } = session;
    await writeFileAtomic(
      join(this.layout.uploadDir(session.id), "info.json"),
      JSON.stringify({ repository, startedAt, size }),
    );
  }

  private async readInfo(
    id: string,
  ): Promise<{ repository: string; startedAt: number; size: number; updatedAt: number } | undefined> {
    try {
      const path = join(this.layout.uploadDir(id), "info.json");
      const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
      if (typeof parsed !== "object" || parsed === null) return undefined;
      const { repository, startedAt, size } = parsed as Record<string, unknown>;
      if (typeof repository !== "string" || typeof startedAt !== "number" || typeof size !== "number") {
        return undefined;
      }
      return { repository, startedAt, size, updatedAt: (await stat(path)).mtimeMs };
    } catch (err) {
      if (isNotFound(err) || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }
}

export async function hashFile(path: string, algorithm: DigestAlgorithm): Promise<string> {
  const hash = newHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: STREAM_CHUNK_BYTES })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}
