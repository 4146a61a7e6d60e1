// save, load, export, commit, history, diff: image archives and container snapshots.
import { createReadStream, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { JsonMessage } from "../../client/types.ts";
import { type Command, StatusError, writeOut } from "../command.ts";
import { formatUsage } from "../container-flags.ts";
import { ellipsis, humanSize, relativeTime, truncateId } from "../format/humanize.ts";
import { displayJsonMessages } from "../jsonmessage.ts";
import { parseNormalizedNamed } from "../reference.ts";
import { goTimeString } from "../timestamps.ts";
import { goOpenError } from "./image-import.ts";

const terminalRefusal = "cowardly refusing to save to a terminal. Use the -o flag or redirect";

/** Writes a response body to `-o file` (temp-free: docker also writes in place) or stdout. */
async function writeBody(body: Readable, output: string | undefined, stdout: Writable & { isTTY?: boolean }) {
  if (output) {
    await pipeline(body, createWriteStream(output, { mode: 0o600 }));
    return;
  }
  if (stdout.isTTY) {
    body.destroy();
    throw new StatusError(terminalRefusal, 1);
  }
  await pipeline(body, stdout, { end: false });
}

export const saveCommand: Command = {
  usage: "[OPTIONS] IMAGE [IMAGE...]",
  flags: [
    { name: "output", short: "o", type: "string", usage: "Write to a file, instead of STDOUT" },
    { name: "platform", type: "list", usage: "Save only the given platform(s)" },
  ],
  args: { min: 1 },
  async run(ctx, flags, args) {
    const output = flags.string("output") || undefined;
    if (!output && ctx.streams.stdout.isTTY) throw new StatusError(terminalRefusal, 1);
    const res = await ctx.client().call("GET", "/images/get", { query: { names: args } });
    await writeBody(res, output, ctx.streams.stdout);
    return 0;
  },
};

export const loadCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    { name: "input", short: "i", type: "string", usage: "Read from tar archive file, instead of STDIN" },
    { name: "quiet", short: "q", usage: "Suppress the load output" },
    { name: "platform", type: "list", usage: "Load only the given platform(s)" },
  ],
  args: { none: true },
  async run(ctx, flags) {
    const input = flags.string("input") || undefined;
    let body: Readable;
    if (input) {
      try {
        await (await open(input, "r")).close();
      } catch (err) {
        throw goOpenError(input, err as NodeJS.ErrnoException);
      }
      body = createReadStream(input);
    } else {
      if (ctx.streams.stdin.isTTY) throw new StatusError("requested load from stdin, but stdin is empty", 1);
      body = ctx.streams.stdin;
    }
    const quiet = flags.bool("quiet");
    const stream = await ctx.client().stream<JsonMessage>("POST", "/images/load", {
      query: { quiet: quiet || undefined },
      body,
      headers: { "Content-Type": "application/x-tar" },
    });
    await displayJsonMessages(stream, ctx.streams.stdout);
    return 0;
  },
};

export const exportCommand: Command = {
  usage: "[OPTIONS] CONTAINER",
  flags: [{ name: "output", short: "o", type: "string", usage: "Write to a file, instead of STDOUT" }],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    const output = flags.string("output") || undefined;
    if (!output && ctx.streams.stdout.isTTY) throw new StatusError(terminalRefusal, 1);
    const res = await ctx.client().call("GET", `/containers/${encodeURIComponent(args[0] as string)}/export`);
    await writeBody(res, output, ctx.streams.stdout);
    return 0;
  },
};

export const commitCommand: Command = {
  usage: "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
  flags: [
    {
      name: "author",
      short: "a",
      type: "string",
      usage: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
    },
    { name: "change", short: "c", type: "list", usage: "Apply Dockerfile instruction to the created image" },
    { name: "message", short: "m", type: "string", usage: "Commit message" },
    { name: "pause", short: "p", default: "true", usage: "Pause container during commit" },
  ],
  args: { min: 1, max: 2 },
  async run(ctx, flags, args) {
    const [container, reference] = args as [string, string | undefined];
    let repo: string | undefined;
    let tag: string | undefined;
    if (reference) {
      const ref = parseNormalizedNamed(reference);
      if (ref.digest) throw new StatusError("refusing to create a tag with a digest reference", 1);
      const colon = reference.lastIndexOf(":");
      if (ref.tag && colon > reference.lastIndexOf("/")) {
        repo = reference.slice(0, colon);
        tag = reference.slice(colon + 1);
      } else repo = reference;
    }
    const res = await ctx.client().json<{ Id: string }>("POST", "/commit", {
      query: {
        container,
        repo,
        tag,
        comment: flags.string("message") || undefined,
        author: flags.string("author") || undefined,
        changes: flags.list("change"),
        pause: flags.string("pause") === undefined || flags.bool("pause"),
      },
      body: {},
    });
    await writeOut(ctx.streams.stdout, `${res.Id}\n`);
    return 0;
  },
};

interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

const historyHeaders = {
  ID: "IMAGE",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  CreatedBy: "CREATED BY",
  Size: "SIZE",
  Comment: "COMMENT",
};

export const historyCommand: Command = {
  usage: "[OPTIONS] IMAGE",
  flags: [
    { name: "format", type: "string", usage: formatUsage },
    { name: "human", short: "H", default: "true", usage: "Print sizes and dates in human readable format" },
    { name: "no-trunc", usage: "Don't truncate output" },
    { name: "quiet", short: "q", usage: "Only show image IDs" },
    { name: "platform", type: "string", usage: "Show history for the given platform" },
  ],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    const items = await ctx
      .client()
      .json<HistoryItem[]>("GET", `/images/${encodeURIComponent(args[0] as string)}/history`);
    const trunc = !flags.bool("no-trunc");
    const human = flags.string("human") === undefined || flags.bool("human");
    const now = new Date();
    const rows = items.map((h) => {
      const createdBy = h.CreatedBy.replace(/\t/g, " ");
      return {
        ID: h.Id.startsWith("sha256:") && trunc ? truncateId(h.Id) : h.Id,
        CreatedSince: human ? relativeTime(h.Created, now) : goTimeString(h.Created),
        CreatedAt: goTimeString(h.Created),
        CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
        Size: human ? humanSize(h.Size) : String(h.Size),
        Comment: h.Comment,
      };
    });
    const { formatRows } = await import("../format/table.ts");
    await writeOut(
      ctx.streams.stdout,
      formatRows(
        flags.string("format"),
        "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
        historyHeaders,
        rows,
        { quiet: flags.bool("quiet") },
      ),
    );
    return 0;
  },
};

export const diffCommand: Command = {
  usage: "CONTAINER",
  flags: [],
  args: { exact: 1 },
  async run(ctx, _flags, args) {
    const changes = await ctx
      .client()
      .json<Array<{ Path: string; Kind: number }> | null>(
        "GET",
        `/containers/${encodeURIComponent(args[0] as string)}/changes`,
      );
    const letter = ["C", "A", "D"];
    await writeOut(
      ctx.streams.stdout,
      (changes ?? []).map((c) => `${letter[c.Kind] ?? "?"} ${c.Path}\n`).join(""),
    );
    return 0;
  },
};
