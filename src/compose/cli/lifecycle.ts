// compose start / stop / restart / kill / rm / pause / unpause: one engine call per container
// of the named services (all services by default), in dependency order where it matters.
import { StatusError, writeOut } from "../../cli/command.ts";
import { dependencyGraph, inDependencyOrder, withRestartDependents } from "../graph.ts";
import type { Project } from "../model.ts";
import { type ProjectContainer, projectContainers } from "../observe.ts";
import { removeContainers, stopContainers } from "../teardown.ts";
import { type ComposeCommand, timeoutFlag, timeoutOf } from "./command.ts";
import type { ComposeContext } from "./context.ts";

async function targets(
  ctx: ComposeContext,
  args: string[],
  opts: { all?: boolean; withServices?: (project: Project, named: string[]) => string[] } = {},
): Promise<{ project: Project | undefined; containers: ProjectContainer[] }> {
  const project = await ctx.optionalProject();
  const name = project?.name ?? (await ctx.projectName());
  for (const s of args)
    if (project && !project.services[s]) throw new StatusError(`no such service: ${s}`, 1);
  const services = project && opts.withServices ? opts.withServices(project, args) : args;
  const containers = await projectContainers(ctx.engine(), name, { services, all: opts.all ?? true });
  return { project, containers };
}

async function eachInOrder(
  project: Project | undefined,
  containers: readonly ProjectContainer[],
  fn: (c: ProjectContainer) => Promise<void>,
  reverse = false,
): Promise<void> {
  const graph = project ? dependencyGraph(project.services) : new Map<string, string[]>();
  const services = new Set(containers.map((c) => c.service));
  await inDependencyOrder(
    graph,
    services,
    async (s) => {
      await Promise.all(containers.filter((c) => c.service === s).map(fn));
    },
    reverse,
  );
}

/** What a command does to one container, between docker compose's two progress lines. */
interface ContainerStep {
  /** printed before the call ("Starting"); none for pause/unpause */
  doing?: string;
  /** printed after it ("Started") */
  done: string;
  call(c: ProjectContainer): Promise<unknown>;
}

function stepper(ctx: ComposeContext, step: ContainerStep): (c: ProjectContainer) => Promise<void> {
  return async (c) => {
    if (step.doing) ctx.progress.event("Container", c.name, step.doing);
    await step.call(c);
    ctx.progress.event("Container", c.name, step.done);
  };
}

export const startCommand: ComposeCommand = {
  name: "start",
  usage: "[SERVICE...]",
  description: "Start services",
  flags: [],
  async run(ctx, _flags, args) {
    const { project, containers } = await targets(ctx, args);
    if (containers.length === 0) throw new StatusError("service has no container to start", 1);
    const start = stepper(ctx, {
      doing: "Starting",
      done: "Started",
      call: (c) => ctx.engine().client.containerStart(c.id),
    });
    await eachInOrder(project, containers, async (c) => {
      if (c.state !== "running") await start(c);
    });
    return 0;
  },
};

export const stopCommand: ComposeCommand = {
  name: "stop",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Stop services",
  flags: [timeoutFlag],
  async run(ctx, flags, args) {
    const { project, containers } = await targets(ctx, args);
    await stopContainers(ctx.engine(), project, containers, timeoutOf(flags), ctx.progress);
    return 0;
  },
};

export const restartCommand: ComposeCommand = {
  name: "restart",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Restart service containers",
  flags: [timeoutFlag, { name: "no-deps", usage: "Don't restart dependent services" }],
  async run(ctx, flags, args) {
    // depends_on restart: true — a dependent is restarted with the service it depends on.
    const { project, containers } = await targets(ctx, args, {
      withServices: (p, named) =>
        named.length > 0 && !flags.bool("no-deps") ? withRestartDependents(p, named) : named,
    });
    await eachInOrder(
      project,
      containers,
      stepper(ctx, {
        doing: "Restarting",
        done: "Started",
        call: (c) => ctx.engine().client.containerRestart(c.id, { timeout: timeoutOf(flags) }),
      }),
    );
    return 0;
  },
};

export const killCommand: ComposeCommand = {
  name: "kill",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Force stop service containers",
  flags: [
    {
      name: "signal",
      short: "s",
      type: "string",
      usage: "SIGNAL to send to the container",
      default: "SIGKILL",
    },
    { name: "remove-orphans", usage: "Remove containers for services not defined in the Compose file" },
  ],
  async run(ctx, flags, args) {
    const { containers } = await targets(ctx, args, { all: false });
    const kill = stepper(ctx, {
      doing: "Killing",
      done: "Killed",
      call: (c) => ctx.engine().client.containerKill(c.id, flags.string("signal") ?? "SIGKILL"),
    });
    await Promise.all(containers.map(kill));
    return 0;
  },
};

export const rmCommand: ComposeCommand = {
  name: "rm",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Removes stopped service containers",
  flags: [
    { name: "force", short: "f", usage: "Don't ask to confirm removal" },
    { name: "stop", short: "s", usage: "Stop the containers, if required, before removing" },
    { name: "volumes", short: "v", usage: "Remove any anonymous volumes attached to containers" },
  ],
  async run(ctx, flags, args) {
    const { project, containers } = await targets(ctx, args);
    if (flags.bool("stop")) await stopContainers(ctx.engine(), project, containers, undefined, ctx.progress);
    const stopped = flags.bool("stop")
      ? containers
      : containers.filter((c) => c.state !== "running" && c.state !== "paused");
    if (stopped.length === 0) {
      await writeOut(ctx.cli.streams.stderr, "No stopped containers\n");
      return 0;
    }
    if (!flags.bool("force")) {
      const names = stopped.map((c) => c.name).join(", ");
      await writeOut(ctx.cli.streams.stderr, `Going to remove ${names}\n`);
      if (ctx.cli.streams.stdin.isTTY) {
        await writeOut(ctx.cli.streams.stderr, "? Are you sure? (y/N) ");
        const answer = await new Promise<string>((resolve) =>
          ctx.cli.streams.stdin.once("data", (d) => resolve(String(d))),
        );
        ctx.cli.streams.stdin.pause();
        if (!/^y/i.test(answer.trim())) return 0;
      }
    }
    await removeContainers(ctx.engine(), stopped, flags.bool("volumes"), ctx.progress);
    return 0;
  },
};

/** pause and unpause: the running containers of the services, one after the other. */
function oneByOne(
  name: string,
  description: string,
  done: string,
  call: (ctx: ComposeContext, id: string) => Promise<unknown>,
): ComposeCommand {
  return {
    name,
    usage: "[SERVICE...]",
    description,
    flags: [],
    async run(ctx, _flags, args) {
      const { containers } = await targets(ctx, args, { all: false });
      const step = stepper(ctx, { done, call: (c) => call(ctx, c.id) });
      for (const c of containers) await step(c);
      return 0;
    },
  };
}

export const pauseCommand = oneByOne("pause", "Pause services", "Paused", (ctx, id) =>
  ctx.engine().pause(id),
);

export const unpauseCommand = oneByOne("unpause", "Unpause services", "Unpaused", (ctx, id) =>
  ctx.engine().unpause(id),
);
