// build: the classic builder path of `docker build` (POST /build with the context tar),
// printing the daemon's stream as docker does; -q prints only the image ID.
import { writeFile } from "node:fs/promises";
import { Readable, Writable } from "node:stream";
import type { JsonMessage } from "../../client/types.ts";
import { parseSize } from "../../util/size.ts";
import { contextFromDir, contextFromDockerfile } from "../build-context.ts";
import { displayBuildProgress } from "../build-progress.ts";
import { type Command, StatusError, writeOut } from "../command.ts";
import { displayJsonMessages, JsonMessageError } from "../jsonmessage.ts";

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function isTarOrGzip(head: Buffer): boolean {
  if (head[0] === 0x1f && head[1] === 0x8b) return true;
  return head.length >= 262 && head.subarray(257, 262).toString("latin1") === "ustar";
}

function keyValues(list: readonly string[], env: NodeJS.ProcessEnv): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    // "--build-arg NAME" takes NAME from the environment, as docker does; unset stays null.
    if (eq < 0) out[item] = env[item] ?? null;
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function shmSizeBytes(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const bytes = parseSize(value);
  if (bytes === undefined)
    throw new StatusError(`invalid argument "${value}" for "--shm-size" flag: invalid size: '${value}'`, 125);
  return bytes;
}

export const buildCommand: Command = {
  usage: "[OPTIONS] PATH | URL | -",
  flags: [
    { name: "tag", short: "t", type: "list", usage: 'Name and optionally a tag in the "name:tag" format' },
    {
      name: "file",
      short: "f",
      type: "string",
      usage: 'Name of the Dockerfile (Default is "PATH/Dockerfile")',
    },
    { name: "build-arg", type: "list", usage: "Set build-time variables" },
    { name: "no-cache", usage: "Do not use cache when building the image" },
    { name: "target", type: "string", usage: "Set the target build stage to build." },
    { name: "quiet", short: "q", usage: "Suppress the build output and print image ID on success" },
    { name: "label", type: "list", usage: "Set metadata for an image" },
    {
      name: "network",
      type: "string",
      usage: "Set the networking mode for the RUN instructions during build",
    },
    { name: "pull", usage: "Always attempt to pull a newer version of the image" },
    { name: "rm", usage: "Remove intermediate containers after a successful build", default: "true" },
    { name: "force-rm", usage: "Always remove intermediate containers" },
    { name: "iidfile", type: "string", usage: "Write the image ID to the file" },
    { name: "add-host", type: "list", usage: 'Add a custom host-to-IP mapping ("host:ip")' },
    { name: "shm-size", type: "bytes", usage: 'Size of "/dev/shm"' },
    {
      name: "progress",
      type: "string",
      usage: "Set type of progress output (auto, plain, tty). Use plain to show container output",
      default: "auto",
    },
  ],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    const source = args[0] as string;
    const progress = flags.string("progress") || "auto";
    if (!["auto", "plain", "tty"].includes(progress))
      throw new StatusError(`invalid value for --progress: "${progress}" (auto, plain or tty)`, 1);
    const file = flags.string("file");
    const stdin = ctx.streams.stdin;
    let context: Awaited<ReturnType<typeof contextFromDir>>;
    if (source === "-") {
      if (file === "-")
        throw new StatusError("invalid argument: can't use stdin for both build context and dockerfile", 1);
      const body = await readAll(stdin);
      context = isTarOrGzip(body)
        ? { stream: Readable.from([body]), dockerfile: file || "Dockerfile" }
        : await contextFromDockerfile(body);
    } else if (/^(https?|git):\/\//.test(source)) {
      throw new StatusError(`unable to prepare context: remote contexts are not supported: ${source}`, 1);
    } else {
      const text = file === "-" ? (await readAll(stdin)).toString("utf8") : undefined;
      context = await contextFromDir(source, { path: file === "-" ? undefined : file, text });
    }
    const labels = keyValues(flags.list("label"), {});
    const stream = await ctx.client().stream<JsonMessage>("POST", "/build", {
      query: {
        t: flags.list("tag").length ? flags.list("tag") : undefined,
        dockerfile: context.dockerfile,
        buildargs: JSON.stringify(keyValues(flags.list("build-arg"), ctx.env)),
        labels: JSON.stringify(labels),
        nocache: flags.bool("no-cache"),
        target: flags.string("target") || undefined,
        q: flags.bool("quiet"),
        networkmode: flags.string("network") || undefined,
        pull: flags.bool("pull"),
        // The daemon's default is rm=1: a false one must be sent as "0".
        rm: !flags.changed("rm") || flags.bool("rm") ? true : "0",
        forcerm: flags.bool("force-rm"),
        extrahosts: flags.list("add-host").length ? flags.list("add-host") : undefined,
        shmsize: shmSizeBytes(flags.string("shm-size")),
      },
      headers: { "Content-Type": "application/x-tar" },
      body: context.stream,
    });
    let imageId = "";
    let quietText = "";
    const quiet = flags.bool("quiet");
    // -q: the stream (only the image ID) is collected and printed once the build succeeded.
    const sink = quiet
      ? new Writable({
          write(chunk: Buffer, _enc, cb) {
            quietText += chunk.toString("utf8");
            cb();
          },
        })
      : ctx.streams.stdout;
    const onAux = (aux: Record<string, unknown>) => {
      if (typeof aux.ID === "string") imageId = aux.ID;
    };
    const live = !quiet && (progress === "tty" || (progress === "auto" && ctx.streams.stdout.isTTY === true));
    try {
      if (live) await displayBuildProgress(stream, ctx.streams.stdout, onAux);
      else await displayJsonMessages(stream, sink, onAux);
    } catch (err) {
      if (err instanceof JsonMessageError) throw new StatusError(err.message, err.code || 1);
      throw err;
    }
    if (quiet) await writeOut(ctx.streams.stdout, quietText || `${imageId}\n`);
    const iidfile = flags.string("iidfile");
    if (iidfile && imageId) await writeFile(iidfile, imageId);
    return 0;
  },
};
