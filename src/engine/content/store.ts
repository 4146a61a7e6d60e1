// Content-addressed blob store (OCI layout style): blobs/sha256/<hex>. Writes land in ingest/
// first and are renamed into blobs/ only after the digest is verified, so a visible blob is
// always complete and correct.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { digestHex, isSha256Digest } from "../../util/digest.ts";

export class DigestMismatchError extends Error {}

export interface BlobInfo {
  digest: string;
  size: number;
}

export class ContentStore {
  readonly root: string;
  private readonly blobsDir: string;
  private readonly ingestDir: string;

  constructor(root: string) {
    this.root = root;
    this.blobsDir = join(root, "blobs", "sha256");
    this.ingestDir = join(root, "ingest");
  }

  async init(): Promise<void> {
    await mkdir(this.blobsDir, { recursive: true });
    // Partial writes from a previous run can never be resumed by their writer: drop them.
    await rm(this.ingestDir, { recursive: true, force: true });
    await mkdir(this.ingestDir, { recursive: true });
  }

  path(digest: string): string {
    if (!isSha256Digest(digest)) throw new Error(`invalid digest: ${digest}`);
    return join(this.blobsDir, digestHex(digest));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  read(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  async readJson<T>(digest: string): Promise<T> {
    return JSON.parse((await this.read(digest)).toString("utf8")) as T;
  }

  openRead(digest: string): Readable {
    return createReadStream(this.path(digest));
  }

  /** Stores a small blob held in memory. */
  async put(data: Uint8Array | string, expected?: string): Promise<BlobInfo> {
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    const digest = `sha256:${createHash("sha256").update(buf).digest("hex")}`;
    if (expected && expected !== digest)
      throw new DigestMismatchError(`digest mismatch: ${digest} != ${expected}`);
    if (!this.has(digest)) {
      const tmp = this.tempPath();
      const fh = await open(tmp, "w", 0o644);
      try {
        await fh.writeFile(buf);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path(digest));
    }
    return { digest, size: buf.length };
  }

  /** Streams a blob to disk while hashing it. */
  async ingest(source: Readable, expected?: string): Promise<BlobInfo> {
    const tmp = this.tempPath();
    const hash = createHash("sha256");
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, hasher, createWriteStream(tmp, { mode: 0o644 }));
      const fh = await open(tmp, "r+");
      await fh.sync();
      await fh.close();
      const digest = `sha256:${hash.digest("hex")}`;
      if (expected && expected !== digest) {
        throw new DigestMismatchError(`digest mismatch: got ${digest}, expected ${expected}`);
      }
      await rename(tmp, this.path(digest));
      return { digest, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** A scratch directory on the store's filesystem (wiped at start-up if left behind). */
  makeTempDir(prefix: string): Promise<string> {
    return mkdtemp(join(this.ingestDir, `${prefix}-`));
  }

  /**
   * Moves a file whose sha256 is already known (hashed while it was written, e.g. by load)
   * into the store: fsynced, then renamed, so the blob appears only complete. The file must be
   * on the store's filesystem (see makeTempDir). Returns false if the blob was already present.
   */
  async adopt(file: string, digest: string): Promise<boolean> {
    if (this.has(digest)) return false;
    const fh = await open(file, "r+");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(file, this.path(digest));
    return true;
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  private tempPath(): string {
    return join(this.ingestDir, randomBytes(8).toString("hex"));
  }
}
