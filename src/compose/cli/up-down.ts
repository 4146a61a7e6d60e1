// compose up / down / create.
import { StatusError } from "../../cli/command.ts";
import type { ParsedFlags } from "../../cli/flags.ts";
import { converge, waitRunningOrHealthy } from "../converge.ts";
import { withDependencies } from "../graph.ts";
import { ensureImages } from "../images.ts";
import type { Project } from "../model.ts";
import { projectContainers, untilEnded } from "../observe.ts";
import { down, orphans, removeContainers, stopContainers } from "../teardown.ts";
import { type ComposeCommand, timeoutFlag, timeoutOf } from "./command.ts";
import type { ComposeContext } from "./context.ts";
import { LogPrinter } from "./log-printer.ts";

function parseScale(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const m = /^([^=]+)=(\d+)$/.exec(v);
    if (!m) throw new StatusError(`invalid --scale value ${JSON.stringify(v)}: expected SERVICE=NUM`, 1);
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

async function prepare(
  ctx: ComposeContext,
  flags: ParsedFlags,
  args: string[],
): Promise<{ project: Project; services: string[] }> {
  const project = await ctx.project(args);
  for (const s of Object.keys(parseScale(flags.list("scale")))) {
    if (!project.services[s]) throw new StatusError(`no such service: ${s}`, 1);
  }
  const services = flags.bool("no-deps")
    ? args
    : withDependencies(project, args.length > 0 ? args : Object.keys(project.services));
  const engine = ctx.engine();
  const pull = flags.string("pull");
  if (pull !== undefined && !["always", "missing", "never", "policy", "build"].includes(pull)) {
    throw new StatusError(`invalid --pull option ${JSON.stringify(pull)}`, 1);
  }
  await ensureImages(
    engine,
    project,
    services,
    {
      pull: pull === "policy" ? undefined : pull,
      build: flags.bool("build"),
      noBuild: flags.bool("no-build"),
    },
    ctx.progress,
    (line) => ctx.cli.streams.stderr.write(line),
  );
  return { project, services };
}

async function removeOrphans(ctx: ComposeContext, project: Project, flags: ParsedFlags): Promise<void> {
  const engine = ctx.engine();
  const found = orphans(project, await projectContainers(engine, project.name));
  if (found.length === 0) return;
  if (flags.bool("remove-orphans")) {
    await stopContainers(engine, undefined, found, timeoutOf(flags), ctx.progress);
    await removeContainers(engine, found, false, ctx.progress);
  } else {
    ctx.progress.warn(
      `Found orphan containers ([${found.map((c) => c.name).join(" ")}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
    );
  }
}

const convergeFlags = [
  { name: "build", usage: "Build images before starting containers" },
  { name: "no-build", usage: "Don't build an image, even if it's policy" },
  {
    name: "pull",
    type: "string",
    usage: 'Pull image before running ("always"|"missing"|"never")',
    default: "policy",
  },
  {
    name: "force-recreate",
    usage: "Recreate containers even if their configuration and image haven't changed",
  },
  {
    name: "no-recreate",
    usage: "If containers already exist, don't recreate them. Incompatible with --force-recreate.",
  },
  { name: "remove-orphans", usage: "Remove containers for services not defined in the Compose file" },
  {
    name: "scale",
    type: "stringArray",
    usage: "Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.",
  },
];

export const upCommand: ComposeCommand = {
  name: "up",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Create and start containers",
  flags: [
    { name: "detach", short: "d", usage: "Detached mode: Run containers in the background" },
    ...convergeFlags,
    { name: "no-deps", usage: "Don't start linked services" },
    { name: "no-start", usage: "Don't start the services after creating them" },
    { name: "wait", usage: "Wait for services to be running|healthy. Implies detached mode." },
    {
      name: "wait-timeout",
      type: "int",
      usage: "Maximum duration in seconds to wait for the project to be running|healthy",
    },
    {
      name: "attach",
      type: "stringArray",
      usage: "Restrict attaching to the specified services. Incompatible with --attach-dependencies.",
    },
    {
      name: "no-attach",
      type: "stringArray",
      usage: "Do not attach (stream logs) to the specified services",
    },
    { name: "no-log-prefix", usage: "Don't print prefix in logs" },
    { name: "no-color", usage: "Produce monochrome output" },
    {
      name: "abort-on-container-exit",
      usage: "Stops all containers if any container was stopped. Incompatible with -d",
    },
    {
      name: "exit-code-from",
      type: "string",
      usage: "Return the exit code of the selected service container. Implies --abort-on-container-exit",
    },
    timeoutFlag,
  ],
  async run(ctx, flags, args) {
    if ((flags.bool("abort-on-container-exit") || flags.changed("exit-code-from")) && flags.bool("detach")) {
      throw new StatusError("--abort-on-container-exit and --detach are incompatible", 1);
    }
    if (flags.bool("force-recreate") && flags.bool("no-recreate")) {
      throw new StatusError("--force-recreate and --no-recreate are incompatible", 1);
    }
    const { project, services } = await prepare(ctx, flags, args);
    const engine = ctx.engine();
    await removeOrphans(ctx, project, flags);
    const detached = flags.bool("detach") || flags.bool("wait") || flags.bool("no-start");
    const names = services.flatMap((s) => {
      const n = project.services[s]?.scale ?? project.services[s]?.deploy?.replicas ?? 1;
      return Array.from(
        { length: n },
        (_, i) => project.services[s]?.container_name ?? `${project.name}-${s}-${i + 1}`,
      );
    });
    const printer = new LogPrinter(ctx.cli.streams.stdout, names, {
      colour: flags.bool("no-color") ? false : undefined,
      prefix: !flags.bool("no-log-prefix"),
    });
    const attached: Array<Promise<void>> = [];
    // --abort-on-container-exit / --exit-code-from: the first exit stops the project.
    const exitCodeFrom = flags.string("exit-code-from");
    if (exitCodeFrom !== undefined && !project.services[exitCodeFrom]) {
      throw new StatusError(`no such service: ${exitCodeFrom}`, 1);
    }
    const abortOnExit = flags.bool("abort-on-container-exit") || exitCodeFrom !== undefined;
    let aborting: Promise<void> | undefined;
    let exitCode: number | undefined;
    const stopAll = async () => {
      const containers = await projectContainers(engine, project.name, { services });
      await stopContainers(engine, project, containers, timeoutOf(flags), ctx.progress);
    };
    const onExit = (service: string, code: number) => {
      if (!abortOnExit) return;
      if (exitCodeFrom === undefined ? exitCode === undefined : service === exitCodeFrom) exitCode = code;
      if (!aborting) {
        ctx.cli.streams.stderr.write("Aborting on container exit...\n");
        aborting = stopAll();
        aborting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      }
    };
    // --attach restricts the streamed services, --no-attach leaves some out; those still run.
    const only = flags.list("attach");
    const skipped = new Set(flags.list("no-attach"));
    const attachedTo = (service: string) =>
      (only.length === 0 || only.includes(service)) && !skipped.has(service);
    const attach = async (c: { id: string; name: string; service: string }) => {
      const info = await engine.client.containerInspect(c.id);
      const conn = await engine.client.containerAttach(c.id, {
        stream: true,
        stdout: true,
        stderr: true,
        logs: false,
      });
      const sink = printer.sink(c.name, info.Config.Tty === true);
      attached.push(
        new Promise<void>((resolve) => {
          conn.socket.on("data", (chunk: Buffer) => sink.push(chunk));
          conn.socket.on("close", () => {
            sink.end();
            engine.client
              .containerInspect(c.id)
              .then((after) => {
                if (after.State.Running) return;
                ctx.cli.streams.stdout.write(`${c.name} exited with code ${after.State.ExitCode}\n`);
                onExit(c.service, after.State.ExitCode);
              })
              .catch(() => undefined)
              .finally(resolve);
          });
          conn.socket.on("error", () => resolve());
        }),
      );
    };
    await converge(
      engine,
      project,
      {
        services: args,
        noDeps: flags.bool("no-deps"),
        forceRecreate: flags.bool("force-recreate"),
        noRecreate: flags.bool("no-recreate"),
        scale: parseScale(flags.list("scale")),
        timeout: timeoutOf(flags),
        noStart: flags.bool("no-start"),
        beforeStart: detached ? undefined : async (c) => (attachedTo(c.service) ? attach(c) : undefined),
      },
      ctx.progress,
    );
    // Containers started after an early exit began the abort are stopped too.
    if (aborting) aborting = aborting.then(stopAll);
    if (flags.bool("wait")) {
      await waitRunningOrHealthy(engine, project, services, flags.int("wait-timeout"), ctx.progress);
      return 0;
    }
    if (detached) return 0;
    // Foreground: stream until every attached container has ended, or Ctrl-C stops the project.
    let interrupted = 0;
    let stopped: () => void = () => {};
    // With no service attached there is no stream to end: up runs until Ctrl-C stops the project
    // or every one of its containers has stopped (or been removed) by other means.
    const untilStopped = new Promise<void>((resolve) => {
      stopped = resolve;
      projectContainers(engine, project.name, { services })
        .then((containers) => Promise.all(containers.map((c) => untilEnded(engine, c.id))))
        .catch(() => undefined)
        .finally(resolve);
    });
    const onSigint = () => {
      interrupted++;
      if (interrupted === 1) {
        ctx.cli.streams.stderr.write("Gracefully stopping... (press Ctrl+C again to force)\n");
        stopAll()
          .catch((err) => ctx.cli.streams.stderr.write(`${(err as Error).message}\n`))
          .finally(stopped);
      } else {
        process.exit(130);
      }
    };
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigint);
    try {
      if (attached.length > 0) await Promise.all(attached);
      else await untilStopped;
      if (aborting) {
        await aborting;
        return exitCode ?? 0;
      }
      if (interrupted > 0) {
        await stopAll();
        return 130;
      }
    } finally {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigint);
    }
    return 0;
  },
};

export const createCommand: ComposeCommand = {
  name: "create",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Creates containers for a service",
  flags: convergeFlags,
  async run(ctx, flags, args) {
    const { project } = await prepare(ctx, flags, args);
    await removeOrphans(ctx, project, flags);
    await converge(
      ctx.engine(),
      project,
      {
        services: args,
        forceRecreate: flags.bool("force-recreate"),
        noRecreate: flags.bool("no-recreate"),
        scale: parseScale(flags.list("scale")),
        noStart: true,
      },
      ctx.progress,
    );
    return 0;
  },
};

export const downCommand: ComposeCommand = {
  name: "down",
  usage: "[OPTIONS] [SERVICES]",
  description: "Stop and remove containers, networks",
  flags: [
    { name: "remove-orphans", usage: "Remove containers for services not defined in the Compose file" },
    {
      name: "rmi",
      type: "string",
      usage:
        'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")',
    },
    {
      name: "volumes",
      short: "v",
      usage:
        'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers',
    },
    timeoutFlag,
  ],
  async run(ctx, flags, args) {
    const rmi = flags.string("rmi");
    if (rmi !== undefined && rmi !== "all" && rmi !== "local")
      throw new StatusError(`invalid value for --rmi: ${rmi}`, 1);
    const project = await ctx.optionalProject();
    const name = project?.name ?? (await ctx.projectName());
    await down(
      ctx.engine(),
      name,
      project,
      {
        removeOrphans: flags.bool("remove-orphans"),
        volumes: flags.bool("volumes"),
        rmi,
        timeout: timeoutOf(flags),
        services: args,
      },
      ctx.progress,
    );
    return 0;
  },
};
