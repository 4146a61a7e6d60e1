// The build context as the docker CLI sends it: a tar of the context directory without what
// .dockerignore excludes (the Dockerfile and .dockerignore always go), owned by 0:0; a
// Dockerfile from outside the context or from stdin is added under a random name.
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import dockerignore from "@balena/dockerignore";
import * as tarStream from "tar-stream";

export interface ContextTar {
  stream: Readable;
  /** The dockerfile parameter: its path inside the tar. */
  dockerfile: string;
}

function addEntry(
  pack: tarStream.Pack,
  header: Parameters<tarStream.Pack["entry"]>[0],
  body?: Buffer | Readable,
): Promise<void> {
  return new Promise((resolveEntry, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolveEntry());
    if (body === undefined) pack.entry(header, done);
    else if (Buffer.isBuffer(body)) pack.entry(header, body, done);
    else body.pipe(pack.entry(header, done));
  });
}

/** Tars `dir` for a build; `dockerfileText` (stdin or outside the context) is added to it. */
export async function contextFromDir(
  dir: string,
  dockerfile: { path?: string; text?: string },
): Promise<ContextTar> {
  const root = resolve(dir);
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new Error(`unable to prepare context: path "${dir}" not found`);
  let dockerfileName = "Dockerfile";
  let extra: Buffer | undefined;
  if (dockerfile.text !== undefined) {
    dockerfileName = `.dockerfile.${randomBytes(10).toString("hex")}`;
    extra = Buffer.from(dockerfile.text);
  } else if (dockerfile.path) {
    const abs = resolve(dockerfile.path);
    const rel = relative(root, abs);
    if (rel.startsWith("..") || rel === "") {
      dockerfileName = `.dockerfile.${randomBytes(10).toString("hex")}`;
      extra = await readFile(abs).catch(() => {
        throw new Error(
          `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`,
        );
      });
    } else dockerfileName = rel.split(sep).join("/");
  }
  const rules = (await readFile(join(root, ".dockerignore"), "utf8").catch(() => ""))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const matcher = dockerignore.default().add(rules);
  const keep = new Set([dockerfileName, ".dockerignore"]);
  const pack = tarStream.pack();
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (!keep.has(childRel) && matcher.ignores(childRel)) {
        // An excluded directory may still hold re-included paths ("!dir/keep"): look inside.
        const s = await lstat(join(root, childRel));
        if (!(s.isDirectory() && rules.some((r) => r.startsWith("!")))) continue;
        await walk(childRel);
        continue;
      }
      const abs = join(root, childRel);
      const s = await lstat(abs);
      const base = { name: childRel, mode: s.mode & 0o7777, mtime: s.mtime, uid: 0, gid: 0 };
      if (s.isDirectory()) {
        await addEntry(pack, { ...base, type: "directory" });
        await walk(childRel);
      } else if (s.isSymbolicLink()) {
        await addEntry(pack, { ...base, type: "symlink", linkname: await readlink(abs) });
      } else if (s.isFile()) {
        await addEntry(pack, { ...base, type: "file", size: s.size }, createReadStream(abs));
      }
    }
  };
  void (async () => {
    try {
      await walk("");
      if (extra)
        await addEntry(
          pack,
          { name: dockerfileName, mode: 0o600, size: extra.length, uid: 0, gid: 0 },
          extra,
        );
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  // tar-stream's pack is a streamx stream: wrapped so HTTP clients see a Node Readable.
  return { stream: Readable.from(pack as AsyncIterable<Buffer>), dockerfile: dockerfileName };
}

/** A Dockerfile alone (`wharf build - < Dockerfile`): a one-file context. */
export async function contextFromDockerfile(text: Buffer): Promise<ContextTar> {
  const pack = tarStream.pack();
  await addEntry(pack, { name: "Dockerfile", mode: 0o600, size: text.length, uid: 0, gid: 0 }, text);
  pack.finalize();
  return { stream: Readable.from(pack as AsyncIterable<Buffer>), dockerfile: "Dockerfile" };
}
