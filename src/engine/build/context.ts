// The build context: the request body (a tar, plain or gzip; or a bare Dockerfile) unpacked into
// a private temp dir. Entries that would land outside it are refused, not skipped: a context
// that tries to escape is hostile. .dockerignore rules are applied as Docker's daemon does.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { PassThrough, type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import dockerignore from "@balena/dockerignore";
import * as tar from "tar";
import { resolveInRoot } from "../runtime/user.ts";

export class ContextError extends Error {}

export interface BuildContext {
  dir: string;
  dockerfile: string;
  /** Whether a context path (relative, "/"-separated) is excluded by .dockerignore. */
  ignored(path: string): boolean;
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

/** Refuses entry paths and hard-link targets that leave the context root. */
export function unsafeEntry(path: string, type: string, linkpath: string | undefined): string | undefined {
  const norm = posix.normalize(path.replace(/^\.\//, ""));
  if (path.startsWith("/") || norm === ".." || norm.startsWith("../"))
    return `path escapes the context: ${path}`;
  if (type === "Link" && linkpath !== undefined) {
    const target = posix.normalize(linkpath);
    if (linkpath.startsWith("/") || target === ".." || target.startsWith("../"))
      return `hard link escapes the context: ${path} -> ${linkpath}`;
  }
  return undefined;
}

const allowedTypes = new Set(["File", "OldFile", "ContiguousFile", "Directory", "SymbolicLink", "Link"]);

/** Unpacks `body` into a new temp dir under `tmpRoot`. */
export async function receiveContext(
  body: Readable,
  opts: { tmpRoot: string; dockerfile?: string },
): Promise<BuildContext> {
  const dir = await mkdtemp(join(opts.tmpRoot, "ctx-"));
  const dispose = () => rm(dir, { recursive: true, force: true });
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
      return {
        dir,
        dockerfile: text,
        ignored: () => false,
        dispose,
      };
    }
    let refusal: string | undefined;
    const extract = tar.x({
      cwd: dir,
      strict: true,
      preserveOwner: false,
      filter: (path, entry) => {
        const e = entry as { type?: string; linkpath?: string };
        const why = unsafeEntry(path, e.type ?? "File", e.linkpath);
        if (why) {
          refusal ??= why;
          return false;
        }
        return allowedTypes.has(e.type ?? "File");
      },
    });
    await pipeline(source, padTar(), extract).catch((err: Error) => {
      throw new ContextError(`failed to read the build context: ${err.message}`);
    });
    if (refusal) throw new ContextError(refusal);
    const rules = await readFile(join(dir, ".dockerignore"), "utf8").catch(() => "");
    const matcher = dockerignore.default().add(
      rules
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#")),
    );
    dockerfile = posix.normalize(dockerfile.replace(/\\/g, "/")).replace(/^\/+/, "");
    const resolved = await resolveInRoot(dir, dockerfile);
    const text = await readFile(join(dir, resolved), "utf8").catch(() => {
      throw new ContextError(`Cannot locate specified Dockerfile: ${dockerfile}`);
    });
    const keep = new Set([dockerfile, ".dockerignore"]);
    return {
      dir,
      dockerfile: text,
      ignored: (p) => !keep.has(p) && p !== "" && p !== "." && matcher.ignores(p),
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
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
