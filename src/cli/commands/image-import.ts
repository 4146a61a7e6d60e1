// import: a rootfs tar from a file, stdin ("-") or a URL (fetched by the daemon).
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Command } from "../command.ts";
import { displayJsonMessages } from "../jsonmessage.ts";
import { parseNormalizedNamed } from "../reference.ts";

/** Go's os.Open error text ("open x: no such file or directory") for a Node fs error. */
export function goOpenError(path: string, err: NodeJS.ErrnoException): Error {
  const why: Record<string, string> = {
    ENOENT: "no such file or directory",
    EACCES: "permission denied",
    EISDIR: "is a directory",
  };
  return new Error(`open ${path}: ${why[err.code ?? ""] ?? err.message}`);
}

export const importCommand: Command = {
  usage: "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
  flags: [
    { name: "change", short: "c", type: "list", usage: "Apply Dockerfile instruction to the created image" },
    { name: "message", short: "m", type: "string", usage: "Set commit message for imported image" },
    { name: "platform", type: "string", usage: "Set platform if server is multi-platform capable" },
  ],
  args: { min: 1 },
  async run(ctx, flags, args) {
    const [source, repo] = args as [string, string | undefined];
    if (repo) parseNormalizedNamed(repo);
    let body: Readable | Buffer;
    let fromSrc = "-";
    if (source === "-") {
      body = ctx.streams.stdin;
    } else if (/^https?:\/\//.test(source)) {
      fromSrc = source;
      body = Buffer.alloc(0);
    } else {
      try {
        await (await open(source, "r")).close();
      } catch (err) {
        throw goOpenError(source, err as NodeJS.ErrnoException);
      }
      body = createReadStream(source);
    }
    const stream = await ctx.client().imageImport(body, {
      fromSrc,
      repo,
      message: flags.string("message"),
      changes: flags.list("change"),
      platform: flags.string("platform"),
    });
    await displayJsonMessages(stream, ctx.streams.stdout);
    return 0;
  },
};
