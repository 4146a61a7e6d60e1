// run and create.
import { writeFileSync } from "node:fs";
import { Writable } from "node:stream";
import { ApiError } from "../../client/errors.ts";
import { attachContainer, type streamAttach } from "../attach.ts";
import { type Command, type CommandContext, describeError, StatusError, writeOut } from "../command.ts";
import { buildContainerConfig, type ContainerOptions } from "../container-config.ts";
import { containerFlags, createPullFlag, runOnlyFlags } from "../container-flags.ts";
import { registryAuthHeader } from "../docker-config.ts";
import type { ParsedFlags } from "../flags.ts";
import { displayJsonMessages } from "../jsonmessage.ts";
import { apiTag, familiarString, fullName, parseNormalizedNamed, withDefaultTag } from "../reference.ts";
import { attachedExit, forwardSignals, monitorTtySize, waitBounded } from "../session.ts";

type PullPolicy = "always" | "missing" | "never";

/** docker's withHelp: "wharf: <err>\n\nRun 'wharf run --help' for more information". */
function withHelp(ctx: CommandContext, err: unknown, code: number): StatusError {
  return new StatusError(
    `${ctx.prog}: ${describeError(err)}\n\nRun '${ctx.path} --help' for more information`,
    code,
  );
}

/** toStatusError: a command that cannot be found exits 127, one that cannot run 126. */
function toStatusError(ctx: CommandContext, err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  const msg = describeError(err);
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(msg)) {
    return withHelp(ctx, err, 127);
  }
  if (/permission denied|is a directory/.test(msg)) return withHelp(ctx, err, 126);
  return withHelp(ctx, err, 125);
}

function pullPolicy(flags: ParsedFlags): PullPolicy {
  const value = flags.string("pull") ?? "missing";
  if (value === "always" || value === "missing" || value === "never") return value;
  throw new Error(`invalid pull option: '${value}': must be one of "always", "missing" or "never"`);
}

function parseOptions(
  ctx: CommandContext,
  flags: ParsedFlags,
  args: string[],
): { opts: ContainerOptions; pull: PullPolicy } {
  try {
    return { pull: pullPolicy(flags), opts: buildContainerConfig(flags, args, ctx.env) };
  } catch (err) {
    throw withHelp(ctx, err, 125);
  }
}

const discard = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

/** The implicit pull: progress on stderr (stdout is for the container), errors stop the run. */
async function pullImage(
  ctx: CommandContext,
  image: string,
  platform: string | undefined,
  quiet: boolean,
): Promise<void> {
  const ref = withDefaultTag(parseNormalizedNamed(image));
  const stream = await ctx.client().imagePull(fullName(ref), {
    tag: apiTag(ref),
    platform,
    auth: await registryAuthHeader(ctx.env, ref.domain),
  });
  await displayJsonMessages(stream, quiet ? discard() : ctx.streams.stderr, undefined, {
    timeLeft: true,
    speed: true,
  });
}

/** createContainer: create, and on "No such image" pull once and create again. */
async function createContainer(
  ctx: CommandContext,
  o: ContainerOptions,
  pull: PullPolicy,
  quiet: boolean,
): Promise<string> {
  const client = ctx.client();
  const cidfile = (o.body.HostConfig?.ContainerIDFile as string | undefined) ?? "";
  if (cidfile) {
    try {
      writeFileSync(cidfile, "", { flag: "wx" });
    } catch {
      throw new Error(
        `container ID file found, make sure the other container isn't running or delete ${cidfile}`,
      );
    }
  }
  if (pull === "always") await pullImage(ctx, o.image, o.platform, quiet);
  const out = ctx.streams.stdout;
  if (out.isTTY && o.body.HostConfig) o.body.HostConfig.ConsoleSize = [out.rows ?? 0, out.columns ?? 0];
  let created: Awaited<ReturnType<typeof client.containerCreate>>;
  try {
    created = await client.containerCreate(o.body, { name: o.name, platform: o.platform });
  } catch (err) {
    let ref: ReturnType<typeof parseNormalizedNamed> | undefined;
    try {
      ref = withDefaultTag(parseNormalizedNamed(o.image));
    } catch {
      ref = undefined;
    }
    const missingImage = err instanceof ApiError && err.status === 404 && /no such image/i.test(err.message);
    if (!missingImage || !ref || pull !== "missing") throw err;
    // docker keeps -q output clean: not even the lookup notice.
    if (!quiet) await writeOut(ctx.streams.stderr, `Unable to find image '${familiarString(ref)}' locally\n`);
    await pullImage(ctx, o.image, o.platform, quiet);
    created = await client.containerCreate(o.body, { name: o.name, platform: o.platform });
  }
  for (const w of created.Warnings ?? []) await writeOut(ctx.streams.stderr, `WARNING: ${w}\n`);
  if (cidfile) writeFileSync(cidfile, created.Id);
  return created.Id;
}

async function runContainer(ctx: CommandContext, flags: ParsedFlags, args: string[]): Promise<number> {
  const { opts, pull } = parseOptions(ctx, flags, args);
  const config = opts.body;
  const detach = flags.bool("detach");
  if (detach) {
    if (flags.list("attach").length > 0) {
      throw new StatusError("conflicting options: cannot specify both --attach and --detach", 1);
    }
    config.AttachStdin = config.AttachStdout = config.AttachStderr = false;
    config.StdinOnce = false;
  } else if (config.AttachStdin && config.Tty && !ctx.streams.stdin.isTTY) {
    throw new StatusError("the input device is not a TTY", 1);
  }
  // In TTY mode the terminal itself delivers ^C to the container.
  const sigProxy = (flags.changed("sig-proxy") ? flags.bool("sig-proxy") : true) && !config.Tty;
  const client = ctx.client();

  let id: string;
  try {
    id = await createContainer(ctx, opts, pull, flags.bool("quiet"));
  } catch (err) {
    throw toStatusError(ctx, err);
  }
  const undo: Array<() => void> = [];
  try {
    if (sigProxy) undo.push(forwardSignals(client, id));
    const attach = config.AttachStdin || config.AttachStdout || config.AttachStderr;
    let session: ReturnType<typeof streamAttach> | undefined;
    if (attach) {
      session = await attachContainer(client, id, {
        tty: config.Tty === true,
        streams: ctx.streams,
        stdin: config.AttachStdin === true,
        stdout: config.AttachStdout === true,
        stderr: config.AttachStderr === true,
        detachKeys: flags.string("detach-keys"),
      });
    } else {
      await writeOut(ctx.streams.stdout, `${id}\n`);
    }
    const wait = await client
      .containerWait(id, opts.autoRemove ? "removed" : "next-exit")
      .catch(async (err) => {
        await writeOut(ctx.streams.stderr, `error waiting for container: ${describeError(err)}\n`);
        return undefined;
      });
    try {
      await client.containerStart(id);
    } catch (err) {
      session?.close();
      // The daemon removes an --rm container whose start failed; don't wait forever if it doesn't.
      if (opts.autoRemove) await waitBounded(wait, 5000);
      else wait?.cancel();
      throw toStatusError(ctx, err);
    }
    if (!session) {
      wait?.cancel();
      return 0;
    }
    if (config.Tty) undo.push(monitorTtySize(ctx.streams, (h, w) => client.containerResize(id, h, w)));
    const status = await attachedExit(session, wait, (err) =>
      writeOut(ctx.streams.stderr, `error waiting for container: ${describeError(err)}\n`),
    );
    return status === "detached" ? 0 : status;
  } finally {
    for (const u of undo) u();
  }
}

export const runCommand: Command = {
  usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
  flags: [...containerFlags, ...runOnlyFlags],
  interspersed: false,
  args: { min: 1 },
  run: runContainer,
};

export const createCommand: Command = {
  usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
  flags: [...containerFlags, createPullFlag],
  interspersed: false,
  args: { min: 1 },
  async run(ctx, flags, args) {
    const { opts, pull } = parseOptions(ctx, flags, args);
    const id = await createContainer(ctx, opts, pull, flags.bool("quiet"));
    await writeOut(ctx.streams.stdout, `${id}\n`);
    return 0;
  },
};
