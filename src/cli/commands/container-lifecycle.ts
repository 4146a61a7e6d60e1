// start, stop, kill, restart, rm, wait, rename.
import { ApiError } from "../../client/errors.ts";
import { attachContainer } from "../attach.ts";
import { type Command, type CommandContext, describeError, StatusError, writeOut } from "../command.ts";
import { validators } from "../container-flags.ts";
import { attachedExit, forwardSignals, monitorTtySize, waitBounded } from "../session.ts";

/**
 * docker's parallelOperation: every container at once, results reported in argument order;
 * successes print the name as given, failures are joined into the command's error.
 */
async function eachInParallel(
  ctx: CommandContext,
  names: readonly string[],
  op: (name: string) => Promise<void>,
  onError?: (err: unknown) => Promise<boolean>,
): Promise<number> {
  const results = await Promise.allSettled(names.map((n) => op(n)));
  const errors: string[] = [];
  for (const [i, r] of results.entries()) {
    if (r.status === "fulfilled") {
      await writeOut(ctx.streams.stdout, `${names[i]}\n`);
    } else if (!(await onError?.(r.reason))) {
      errors.push(describeError(r.reason));
    }
  }
  if (errors.length > 0) throw new StatusError(errors.join("\n"), 1);
  return 0;
}

const signalFlag = { name: "signal", short: "s", type: "string", usage: "Signal to send to the container" };
const timeoutFlag = {
  name: "timeout",
  short: "t",
  type: "int",
  usage: "Seconds to wait before killing the container",
  validate: validators.int,
};

export const stopCommand: Command = {
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  flags: [signalFlag, timeoutFlag],
  args: { min: 1 },
  run(ctx, flags, args) {
    const timeout = flags.changed("timeout") ? flags.int("timeout") : undefined;
    const signal = flags.string("signal");
    return eachInParallel(ctx, args, (n) => ctx.client().containerStop(n, { timeout, signal }));
  },
};

export const killCommand: Command = {
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  flags: [signalFlag],
  args: { min: 1 },
  run(ctx, flags, args) {
    return eachInParallel(ctx, args, (n) => ctx.client().containerKill(n, flags.string("signal")));
  },
};

export const restartCommand: Command = {
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  flags: [signalFlag, timeoutFlag],
  args: { min: 1 },
  async run(ctx, flags, args) {
    const timeout = flags.changed("timeout") ? flags.int("timeout") : undefined;
    const errors: string[] = [];
    for (const name of args) {
      try {
        await ctx.client().containerRestart(name, { timeout, signal: flags.string("signal") });
        await writeOut(ctx.streams.stdout, `${name}\n`);
      } catch (err) {
        errors.push(describeError(err));
      }
    }
    if (errors.length > 0) throw new StatusError(errors.join("\n"), 1);
    return 0;
  },
};

export const rmCommand: Command = {
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  flags: [
    { name: "force", short: "f", usage: "Force the removal of a running container (uses SIGKILL)" },
    { name: "link", short: "l", usage: "Remove the specified link" },
    { name: "volumes", short: "v", usage: "Remove anonymous volumes associated with the container" },
  ],
  args: { min: 1 },
  run(ctx, flags, args) {
    const force = flags.bool("force");
    return eachInParallel(
      ctx,
      args,
      async (name) => {
        const id = name.replace(/^\/+|\/+$/g, "");
        if (id === "") throw new Error("Container name cannot be empty");
        await ctx
          .client()
          .containerRemove(id, { force, volumes: flags.bool("volumes"), link: flags.bool("link") });
      },
      async (err) => {
        // rm -f of something already gone is not a failure.
        if (force && err instanceof ApiError && err.status === 404) {
          await writeOut(ctx.streams.stderr, `${describeError(err)}\n`);
          return true;
        }
        return false;
      },
    );
  },
};

export const waitCommand: Command = {
  usage: "CONTAINER [CONTAINER...]",
  flags: [],
  args: { min: 1 },
  async run(ctx, _flags, args) {
    const errors: string[] = [];
    for (const name of args) {
      try {
        const handle = await ctx.client().containerWait(name);
        const result = await handle.result;
        await writeOut(ctx.streams.stdout, `${result.StatusCode}\n`);
      } catch (err) {
        errors.push(describeError(err));
      }
    }
    if (errors.length > 0) throw new StatusError(errors.join("\n"), 1);
    return 0;
  },
};

export const renameCommand: Command = {
  usage: "CONTAINER NEW_NAME",
  flags: [],
  args: { exact: 2 },
  async run(ctx, _flags, args) {
    const oldName = (args[0] as string).trim();
    const newName = (args[1] as string).trim();
    if (oldName === "" || newName === "") throw new Error("Error: Neither old nor new names may be empty");
    try {
      await ctx.client().containerRename(oldName, newName);
    } catch (err) {
      await writeOut(ctx.streams.stderr, `${describeError(err)}\n`);
      throw new Error(`Error: failed to rename container named ${oldName}`);
    }
    return 0;
  },
};

async function startAttached(
  ctx: CommandContext,
  name: string,
  openStdin: boolean,
  detachKeys?: string,
): Promise<number> {
  const client = ctx.client();
  const c = await client.containerInspect(name);
  const tty = c.Config.Tty === true;
  const undo: Array<() => void> = [];
  try {
    if (!tty) undo.push(forwardSignals(client, c.Id));
    const stdin = openStdin && c.Config.OpenStdin === true;
    const session = await attachContainer(client, c.Id, {
      tty,
      streams: ctx.streams,
      stdin,
      stdout: true,
      stderr: true,
      detachKeys,
    });
    const wait = await client.containerWait(c.Id, c.HostConfig.AutoRemove ? "removed" : "next-exit");
    try {
      await client.containerStart(c.Id);
    } catch (err) {
      session.close();
      if (c.HostConfig.AutoRemove) await waitBounded(wait, 5000);
      else wait.cancel();
      throw err;
    }
    if (tty) undo.push(monitorTtySize(ctx.streams, (h, w) => client.containerResize(c.Id, h, w)));
    const status = await attachedExit(session, wait, (err) =>
      writeOut(ctx.streams.stderr, `error waiting for container: ${describeError(err)}\n`),
    );
    if (status === "detached" || status === 0) return 0;
    throw new StatusError("", status);
  } finally {
    for (const u of undo) u();
  }
}

export const startCommand: Command = {
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  flags: [
    { name: "attach", short: "a", usage: "Attach STDOUT/STDERR and forward signals" },
    { name: "checkpoint", type: "string", usage: "Restore from this checkpoint" },
    { name: "checkpoint-dir", type: "string", usage: "Use a custom checkpoint storage directory" },
    { name: "detach-keys", type: "string", usage: "Override the key sequence for detaching a container" },
    { name: "interactive", short: "i", usage: "Attach container's STDIN" },
  ],
  args: { min: 1 },
  async run(ctx, flags, args) {
    if (flags.string("checkpoint")) throw new Error("checkpoints are not supported by wharf");
    if (flags.bool("attach") || flags.bool("interactive")) {
      if (args.length > 1) throw new Error("you cannot start and attach multiple containers at once");
      return startAttached(ctx, args[0] as string, flags.bool("interactive"), flags.string("detach-keys"));
    }
    const failed: string[] = [];
    for (const name of args) {
      try {
        await ctx.client().containerStart(name);
        await writeOut(ctx.streams.stdout, `${name}\n`);
      } catch (err) {
        await writeOut(ctx.streams.stderr, `${describeError(err)}\n`);
        failed.push(name);
      }
    }
    if (failed.length > 0) throw new Error(`Error: failed to start containers: ${failed.join(", ")}`);
    return 0;
  },
};
