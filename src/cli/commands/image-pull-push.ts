// pull and push: the daemon does the registry work; the CLI sends the stored credentials
// (X-Registry-Auth) and shows the progress stream as docker does.
import { Writable } from "node:stream";
import { type Command, StatusError, writeOut } from "../command.ts";
import { registryAuthHeader } from "../docker-config.ts";
import { displayJsonMessages } from "../jsonmessage.ts";
import {
  apiTag,
  canonicalString,
  familiarName,
  fullName,
  type ImageReference,
  parseNormalizedNamed,
  withDefaultTag,
} from "../reference.ts";

const discard = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

function parse(name: string): ImageReference {
  try {
    return parseNormalizedNamed(name);
  } catch (err) {
    throw new StatusError(
      `invalid reference format: ${(err as Error).message.replace(/^invalid reference format: ?/, "")}`.replace(
        /: $/,
        "",
      ),
      1,
    );
  }
}

export const pullCommand: Command = {
  usage: "[OPTIONS] NAME[:TAG|@DIGEST]",
  flags: [
    { name: "all-tags", short: "a", usage: "Download all tagged images in the repository" },
    { name: "disable-content-trust", usage: "Skip image verification", default: "true" },
    { name: "platform", type: "string", usage: "Set platform if server is multi-platform capable" },
    { name: "quiet", short: "q", usage: "Suppress verbose output" },
  ],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    let ref = parse(args[0] as string);
    const all = flags.bool("all-tags");
    const quiet = flags.bool("quiet");
    if (all && (ref.tag || ref.digest)) throw new StatusError("tag can't be used with --all-tags/-a", 1);
    if (!all && !ref.tag && !ref.digest) {
      ref = withDefaultTag(ref);
      if (!quiet) await writeOut(ctx.streams.stdout, `Using default tag: ${ref.tag}\n`);
    }
    const stream = await ctx.client().imagePull(fullName(ref), {
      tag: all ? undefined : apiTag(ref),
      platform: flags.string("platform"),
      auth: await registryAuthHeader(ctx.env, ref.domain),
    });
    await displayJsonMessages(stream, quiet ? discard() : ctx.streams.stdout, undefined, {
      timeLeft: true,
      speed: true,
    });
    await writeOut(ctx.streams.stdout, `${all ? fullName(ref) : canonicalString(ref)}\n`);
    return 0;
  },
};

export const pushCommand: Command = {
  usage: "[OPTIONS] NAME[:TAG]",
  flags: [
    { name: "all-tags", short: "a", usage: "Push all tags of an image to the repository" },
    { name: "disable-content-trust", usage: "Skip image signing", default: "true" },
    {
      name: "platform",
      type: "string",
      usage: "Push a platform-specific manifest as a single-platform image to the registry.",
    },
    { name: "quiet", short: "q", usage: "Suppress verbose output" },
  ],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    let ref = parse(args[0] as string);
    const all = flags.bool("all-tags");
    const quiet = flags.bool("quiet");
    if (ref.digest) throw new StatusError("cannot push a digest reference", 1);
    if (all && ref.tag) throw new StatusError("tag can't be used with --all-tags/-a", 1);
    if (!all && !ref.tag) {
      ref = withDefaultTag(ref);
      if (!quiet) await writeOut(ctx.streams.stdout, `Using default tag: ${ref.tag}\n`);
    }
    const stream = await ctx.client().imagePush(familiarName(ref), {
      tag: all ? undefined : ref.tag,
      auth: await registryAuthHeader(ctx.env, ref.domain),
    });
    await displayJsonMessages(stream, quiet ? discard() : ctx.streams.stdout, undefined, {
      timeLeft: true,
      speed: true,
    });
    if (quiet) await writeOut(ctx.streams.stdout, `${canonicalString(ref)}\n`);
    return 0;
  },
};
