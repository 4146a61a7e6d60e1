// The build context: the request body (a tar, plain or gzip; or a bare Dockerfile), indexed as it
// streams in (context-index.ts) rather than unpacked. Entries that would land outside the
// context are refused, not skipped: a context that tries to escape is hostile. .dockerignore
// rules are applied as Docker's daemon does.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { PassThrough, type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import dockerignore from "@balena/dockerignore";
import { ContextIndex, UnsafeContextError } from "./context-index.ts";

export class ContextError extends Error {}

export interface BuildContext {
  /** The context's files (COPY/ADD sources, bind-mount cache keys). */
  files: ContextIndex;
  dockerfile: string;
  /** Whether a context path (relative, "/"-separated) is excluded by .dockerignore. */
  ignored(path: string): boolean;
  /** A real directory holding the context, written on first use (RUN --mount=type=bind). */
  materialize(): Promise<string>;
  dispose(): Promise<void>;
}

async function peek(source: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const chunk = source.read() as Buffer | null;
    if (chunk) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= n) break;
      continue;
    }
    if (source.readableEnded) break;
    const more = await new Promise<boolean>((resolve, reject) => {
      const done = (v: boolean) => {
        source.off("readable", onReadable);
        source.off("end", onEnd);
        source.off("error", onError);
        resolve(v);
      };
      const onReadable = () => done(true);
      const onEnd = () => done(false);
      const onError = (err: Error) => {
        source.off("readable", onReadable);
        source.off("end", onEnd);
        reject(err);
      };
      source.on("readable", onReadable);
      source.on("end", onEnd);
      source.on("error", onError);
    });
    if (!more) break;
  }
  const head = Buffer.concat(chunks);
  if (head.length) source.unshift(head);
  return head;
}

/** Receives `body` into a new temp dir under `tmpRoot` (the spool, and the context if materialized). */
export async function receiveContext(
  body: Readable,
  opts: { tmpRoot: string; dockerfile?: string },
): Promise<BuildContext> {
  const dir = await mkdtemp(join(opts.tmpRoot, "ctx-"));
  let files: ContextIndex | undefined;
  const dispose = async () => {
    await files?.close();
    await rm(dir, { recursive: true, force: true });
  };
  let materialized: Promise<string> | undefined;
  const materialize = (index: ContextIndex) => {
    materialized ??= (async () => {
      const root = join(dir, "files");
      await mkdir(root, { mode: 0o700 });
      await index.materialize(root);
      return root;
    })();
    return materialized;
  };
  try {
    let source: Readable = body;
    let head = await peek(source, 512);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      source = body.pipe(createGunzip());
      head = await peek(source, 512);
    }
    let dockerfile = opts.dockerfile || "Dockerfile";
    const isTar = head.length >= 262 && head.subarray(257, 262).toString("latin1") === "ustar";
    if (!isTar && head.length > 0 && !isZeroBlock(head)) {
      // A bare Dockerfile as the body (`curl --data-binary @Dockerfile`): the context is just it.
      const text = await streamText(source);
      const empty = ContextIndex.empty();
      files = empty;
      return {
        files: empty,
        dockerfile: text,
        ignored: () => false,
        materialize: () => materialize(empty),
        dispose,
      };
    }
    try {
      files = await ContextIndex.receive(source.pipe(padTar()), join(dir, "spool"));
    } catch (err) {
      if (err instanceof UnsafeContextError) throw new ContextError(err.message);
      throw new ContextError(`failed to read the build context: ${(err as Error).message}`);
    }
    const index = files;
    const rules = await readText(index, ".dockerignore").catch(() => "");
    const matcher = dockerignore.default().add(
      rules
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#")),
    );
    dockerfile = posix.normalize(dockerfile.replace(/\\/g, "/")).replace(/^\/+/, "");
    const text = await readText(index, dockerfile).catch(() => {
      throw new ContextError(`Cannot locate specified Dockerfile: ${dockerfile}`);
    });
    const keep = new Set([dockerfile, ".dockerignore"]);
    return {
      files: index,
      dockerfile: text,
      ignored: (p) => !keep.has(p) && p !== "" && p !== "." && matcher.ignores(p),
      materialize: () => materialize(index),
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** A regular file of the context as text (symlinks followed inside the context). */
async function readText(index: ContextIndex, rel: string): Promise<string> {
  const resolved = await index.resolve(rel);
  if ((await index.lstat(resolved))?.kind !== "file") throw new Error(`not a file: ${rel}`);
  const chunks: Buffer[] = [];
  for await (const c of index.read(resolved)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The docker CLI's `-f -` context ends right after the last file's bytes (no block padding, no
 * end-of-archive blocks); Go's tar reader tolerates that, node-tar does not. Padding to the
 * block size and adding the end blocks makes such a tar whole; a whole tar ignores the extra.
 */
function padTar(): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      done(null, Buffer.alloc(((512 - (size % 512)) % 512) + 1024));
    },
  });
}

function isZeroBlock(buf: Buffer): boolean {
  return buf.every((b) => b === 0);
}

async function streamText(source: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on("data", (c: Buffer) => chunks.push(c));
  await pipeline(source, sink);
  return Buffer.concat(chunks).toString("utf8");
}
