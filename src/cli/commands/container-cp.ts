// cp: copy files between a container and the local filesystem, with docker's naming rules
// (into an existing directory under the source's name, else as the destination name; "/." copies
// a directory's contents), or as a tar on stdin/stdout with "-".
import { lstat, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join, posix, resolve } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as tar from "tar";
import * as tarStream from "tar-stream";
import { ApiError } from "../../client/errors.ts";
import { type Command, type CommandContext, StatusError, writeOut } from "../command.ts";
import { bytesSize } from "../format/humanize.ts";

interface PathStat {
  name: string;
  size: number;
  mode: number;
  linkTarget: string;
}

const dirBit = 2 ** 31;

function splitContainerPath(arg: string): { container: string; path: string } | undefined {
  // "c:/path" names a container; a local path with a colon must start with / or . (as in docker).
  if (arg.startsWith("/") || arg.startsWith(".")) return undefined;
  const i = arg.indexOf(":");
  if (i <= 0) return undefined;
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

function decodeStat(header: string | string[] | undefined): PathStat | undefined {
  if (typeof header !== "string") return undefined;
  return JSON.parse(Buffer.from(header, "base64").toString("utf8")) as PathStat;
}

async function statInContainer(
  ctx: CommandContext,
  container: string,
  path: string,
): Promise<PathStat | undefined> {
  try {
    const res = await ctx.client().call("HEAD", `/containers/${encodeURIComponent(container)}/archive`, {
      query: { path },
    });
    res.resume();
    return decodeStat(res.headers["x-docker-container-path-stat"]);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

/** Re-packs a tar with its first path component renamed (docker's "copy as" rebase). */
function rebase(source: Readable, from: string, to: string): Readable {
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  const out = new PassThrough();
  pack.pipe(out);
  pack.on("error", () => undefined);
  const run = async () => {
    for await (const entry of extract) {
      const h = { ...entry.header };
      if (h.name === from || h.name.startsWith(`${from}/`)) h.name = to + h.name.slice(from.length);
      await new Promise<void>((ok, fail) => {
        const sink = pack.entry(h, (err) => (err ? fail(err) : ok()));
        pipeline(entry, sink).catch(fail);
      });
    }
    pack.finalize();
  };
  Promise.all([pipeline(source, extract), run()]).catch((err: Error) => out.destroy(err));
  return out;
}

async function copyFromContainer(
  ctx: CommandContext,
  container: string,
  path: string,
  dest: string,
  opts: { follow: boolean; quiet: boolean },
) {
  const { follow, quiet } = opts;
  let srcPath = path;
  if (follow) {
    const st = await statInContainer(ctx, container, path);
    if (st?.linkTarget) srcPath = st.linkTarget;
  }
  const res = await ctx.client().call("GET", `/containers/${encodeURIComponent(container)}/archive`, {
    query: { path: srcPath },
  });
  const stat = decodeStat(res.headers["x-docker-container-path-stat"]);
  if (dest === "-") {
    await pipeline(res, ctx.streams.stdout, { end: false });
    return;
  }
  const target = resolve(dest);
  const parent = dirname(target);
  const tmp = await mkdtemp(join(parent, ".wharf-cp-"));
  let copied = 0;
  try {
    await pipeline(
      res,
      tar.x({
        cwd: tmp,
        preserveOwner: false,
        onentry: (e) => {
          copied += e.size ?? 0;
        },
      }),
    );
    const existing = await lstat(target).catch(() => undefined);
    const contentsOnly = path.endsWith("/.");
    if (contentsOnly) {
      await mkdir(target, { recursive: true });
      for (const name of await readdir(tmp)) await moveOver(join(tmp, name), join(target, name));
    } else {
      const base = posix.basename(srcPath.replace(/\/+$/, "")) || stat?.name || "";
      const root = join(tmp, base);
      if (existing?.isDirectory()) {
        await moveOver(root, join(target, base));
      } else {
        if (dest.endsWith("/") && !existing)
          throw new StatusError(`destination directory "${dest}" must exist`, 1);
        await moveOver(root, target);
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (!quiet) await writeOut(ctx.streams.stderr, `Successfully copied ${bytesSize(copied)} to ${dest}\n`);
}

async function moveOver(from: string, to: string): Promise<void> {
  const existing = await lstat(to).catch(() => undefined);
  if (existing && !existing.isDirectory()) await rm(to, { force: true });
  if (existing?.isDirectory()) {
    const st = await lstat(from);
    if (st.isDirectory()) {
      for (const name of await readdir(from)) await moveOver(join(from, name), join(to, name));
      return;
    }
    await rm(to, { recursive: true, force: true });
  }
  await rename(from, to);
}

async function copyToContainer(
  ctx: CommandContext,
  src: string,
  container: string,
  path: string,
  opts: { copyUIDGID: boolean; follow: boolean; quiet: boolean },
) {
  const { copyUIDGID, follow, quiet } = opts;
  const put = (body: Readable, dir: string) =>
    ctx.client().send("PUT", `/containers/${encodeURIComponent(container)}/archive`, {
      query: { path: dir, copyUIDGID: copyUIDGID || undefined },
      body,
      headers: { "Content-Type": "application/x-tar" },
    });
  if (src === "-") {
    await put(ctx.streams.stdin, path);
    return;
  }
  const local = resolve(src);
  const st = await lstat(local).catch(() => undefined);
  if (!st) throw new StatusError(`lstat ${local}: no such file or directory`, 1);
  const destStat = await statInContainer(ctx, container, path);
  const destIsDir = destStat !== undefined && destStat.mode >= dirBit;
  const base = basename(local);
  const contentsOnly = src.endsWith("/.") && st.isDirectory();
  // node-tar's Pack is a Minipass stream: hand the client a Node stream of its bytes.
  let body: Readable = new PassThrough();
  const packer = tar.c({ cwd: contentsOnly ? local : dirname(local), follow, portable: !copyUIDGID }, [
    contentsOnly ? "." : base,
  ]);
  packer.on("error", (err: unknown) => body.destroy(err as Error));
  packer.pipe(body as PassThrough);
  let targetDir = path;
  if (!destIsDir && !contentsOnly) {
    if (path.endsWith("/")) throw new StatusError(`destination directory "${path}" must exist`, 1);
    // Copy as the destination's name, into its parent directory.
    body = rebase(body, base, posix.basename(path));
    targetDir = posix.dirname(path);
  }
  await put(body, targetDir);
  if (!quiet)
    await writeOut(ctx.streams.stderr, `Successfully copied ${bytesSize(st.size)} to ${container}:${path}\n`);
}

export const cpCommand: Command = {
  usage: "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\twharf cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
  flags: [
    { name: "archive", short: "a", usage: "Archive mode (copy all uid/gid information)" },
    { name: "follow-link", short: "L", usage: "Always follow symbol link in SRC_PATH" },
    {
      name: "quiet",
      short: "q",
      usage:
        "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached",
    },
  ],
  args: { exact: 2 },
  async run(ctx, flags, args) {
    const [src, dest] = args as [string, string];
    const quiet = flags.bool("quiet") || !ctx.streams.stderr.isTTY;
    const from = splitContainerPath(src);
    const to = splitContainerPath(dest);
    if (from && to) throw new StatusError("copying between containers is not supported", 1);
    if (!from && !to) throw new StatusError("must specify at least one container source", 1);
    if (from) {
      if (!from.path) throw new StatusError("filepath is empty", 1);
      await copyFromContainer(ctx, from.container, from.path, dest, {
        follow: flags.bool("follow-link"),
        quiet,
      });
    } else if (to) {
      if (!to.path) throw new StatusError("filepath is empty", 1);
      await copyToContainer(ctx, src, to.container, to.path, {
        copyUIDGID: flags.bool("archive"),
        follow: flags.bool("follow-link"),
        quiet,
      });
    }
    return 0;
  },
};
