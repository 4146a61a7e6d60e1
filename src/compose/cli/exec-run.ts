// compose exec / run: a command in a service's running container, or a one-off container of
// the service (its dependencies brought up first unless --no-deps).
import { randomBytes } from "node:crypto";
import { attachContainer, streamAttach } from "../../cli/attach.ts";
import { StatusError } from "../../cli/command.ts";
import { monitorTtySize } from "../../cli/session.ts";
import { converge } from "../converge.ts";
import { createRequest } from "../convert.ts";
import { serviceConfigHash } from "../hash.ts";
import { ensureImages } from "../images.ts";
import { injectedFiles, injectFiles } from "../inject.ts";
import { parsePortShort } from "../loader/canonical.ts";
import type { Project } from "../model.ts";
import { projectContainers } from "../observe.ts";
import { ensureNetworks } from "../resources.ts";
import type { ComposeCommand } from "./command.ts";

function envList(values: readonly string[], env: NodeJS.ProcessEnv): string[] {
  return values.map((v) => (v.includes("=") ? v : `${v}=${env[v] ?? ""}`));
}

export const execCommand: ComposeCommand = {
  name: "exec",
  usage: "[OPTIONS] SERVICE COMMAND [ARGS...]",
  description: "Execute a command in a running container",
  flags: [
    { name: "detach", short: "d", usage: "Detached mode: Run command in the background" },
    { name: "env", short: "e", type: "stringArray", usage: "Set environment variables" },
    {
      name: "index",
      type: "int",
      usage: "Index of the container if service has multiple replicas",
      default: "1",
    },
    {
      name: "no-TTY",
      short: "T",
      usage: "Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY.",
    },
    { name: "privileged", usage: "Give extended privileges to the process" },
    { name: "user", short: "u", type: "string", usage: "Run the command as this user" },
    { name: "workdir", short: "w", type: "string", usage: "Path to workdir directory for this command" },
  ],
  async run(ctx, flags, args) {
    const [service, ...command] = args;
    if (!service || command.length === 0)
      throw new StatusError("exec requires at least 2 arguments: SERVICE COMMAND", 1);
    const name = await ctx.projectName();
    const engine = ctx.engine();
    const index = flags.int("index") ?? 1;
    const list = await projectContainers(engine, name, { services: [service], all: false });
    const target = list.find((c) => c.number === index);
    if (!target) throw new StatusError(`service "${service}" is not running`, 1);
    const streams = ctx.cli.streams;
    const tty = !flags.bool("no-TTY") && streams.stdin.isTTY === true && streams.stdout.isTTY === true;
    const detach = flags.bool("detach");
    const exec = await engine.execCreate(target.id, {
      Cmd: command,
      Env: envList(flags.list("env"), ctx.cli.env),
      User: flags.string("user") ?? "",
      WorkingDir: flags.string("workdir") ?? "",
      Privileged: flags.bool("privileged"),
      Tty: tty,
      AttachStdin: !detach && (tty || streams.stdin.isTTY !== true),
      AttachStdout: !detach,
      AttachStderr: !detach,
    });
    const conn = await engine.execStart(exec.Id, { Detach: detach, Tty: tty });
    if (detach) {
      conn.socket.destroy();
      return 0;
    }
    const stopResize = tty
      ? monitorTtySize(streams, (h, w) =>
          engine.client.send("POST", `/exec/${exec.Id}/resize`, { query: { h, w } }),
        )
      : () => {};
    try {
      const session = streamAttach({
        conn: conn.socket,
        tty,
        streams,
        stdin: true,
        stdout: true,
        stderr: true,
      });
      await session.done;
      session.close();
    } finally {
      stopResize();
    }
    const info = await engine.execInspect(exec.Id);
    return info.ExitCode ?? 0;
  },
};

export const runCommand: ComposeCommand = {
  name: "run",
  usage: "[OPTIONS] SERVICE [COMMAND] [ARGS...]",
  description: "Run a one-off command on a service",
  flags: [
    { name: "detach", short: "d", usage: "Run container in background and print container ID" },
    { name: "rm", usage: "Automatically remove the container when it exits" },
    { name: "env", short: "e", type: "stringArray", usage: "Set environment variables" },
    { name: "entrypoint", type: "string", usage: "Override the entrypoint of the image" },
    { name: "name", type: "string", usage: "Assign a name to the container" },
    { name: "no-TTY", short: "T", usage: "Disable pseudo-TTY allocation (default: auto-detected)" },
    { name: "no-deps", usage: "Don't start linked services" },
    { name: "user", short: "u", type: "string", usage: "Run as specified username or uid" },
    { name: "workdir", short: "w", type: "string", usage: "Working directory inside the container" },
    { name: "label", short: "l", type: "stringArray", usage: "Add or override a label" },
    { name: "build", usage: "Build image before starting container" },
    {
      name: "service-ports",
      usage: "Run command with all service's ports enabled and mapped to the host",
    },
    { name: "publish", short: "p", type: "stringArray", usage: "Publish a container's port(s) to the host" },
    {
      name: "pull",
      type: "string",
      usage: 'Pull image before running ("always"|"missing"|"never")',
      default: "policy",
    },
  ],
  async run(ctx, flags, args) {
    const [service, ...command] = args;
    if (!service) throw new StatusError("run requires at least 1 argument: SERVICE", 1);
    const publish = flags.list("publish");
    if (publish.length > 0 && flags.bool("service-ports"))
      throw new StatusError("--service-ports and --publish are incompatible", 1);
    const project = await ctx.project([service]);
    const svc = project.services[service];
    if (!svc) throw new StatusError(`no such service: ${service}`, 1);
    // A one-off container publishes no ports of the service unless --service-ports; -p gives its own.
    const oneOff: Project = {
      ...project,
      services: {
        ...project.services,
        [service]: {
          ...svc,
          ports: flags.bool("service-ports")
            ? svc.ports
            : publish.flatMap((p) => parsePortShort(p, "--publish")),
        },
      },
    };
    const engine = ctx.engine();
    const deps = Object.keys(svc.depends_on ?? {}).filter((d) => project.services[d]);
    if (!flags.bool("no-deps") && deps.length > 0) {
      await ensureImages(engine, project, deps, {}, ctx.progress, (l) => ctx.cli.streams.stderr.write(l));
      await converge(engine, project, { services: deps }, ctx.progress);
    }
    const pull = flags.string("pull");
    await ensureImages(
      engine,
      project,
      [service],
      { pull: pull === "policy" ? undefined : pull, build: flags.bool("build") },
      ctx.progress,
      (l) => ctx.cli.streams.stderr.write(l),
    );
    const networks = await ensureNetworks(engine, project, [service], ctx.progress);
    const streams = ctx.cli.streams;
    const detach = flags.bool("detach");
    const tty =
      !flags.bool("no-TTY") && !detach && streams.stdin.isTTY === true && streams.stdout.isTTY === true;
    const labels = Object.fromEntries(
      flags.list("label").map((l) => {
        const eq = l.indexOf("=");
        return eq < 0 ? [l, ""] : [l.slice(0, eq), l.slice(eq + 1)];
      }),
    );
    const entrypoint = flags.string("entrypoint");
    const body = createRequest(
      {
        project: oneOff,
        networks,
        configHash: serviceConfigHash(svc),
        oneoff: true,
        containerOf: (s) => `${project.name}-${s}-1`,
      },
      service,
      1,
      {
        command: command.length > 0 ? command : undefined,
        entrypoint: entrypoint !== undefined ? (entrypoint === "" ? [] : [entrypoint]) : undefined,
        env: envList(flags.list("env"), ctx.cli.env),
        tty,
        stdin: !detach,
        labels,
      },
    );
    // One-off containers never restart.
    if (body.HostConfig) {
      body.HostConfig.RestartPolicy = { Name: "no", MaximumRetryCount: 0 };
      if (flags.bool("rm") && detach) body.HostConfig.AutoRemove = true;
    }
    if (flags.string("user")) body.User = flags.string("user");
    if (flags.string("workdir")) body.WorkingDir = flags.string("workdir");
    body.AttachStdin = !detach;
    body.AttachStdout = !detach;
    body.AttachStderr = !detach;
    body.StdinOnce = !detach;
    const name = flags.string("name") ?? `${project.name}-${service}-run-${randomBytes(6).toString("hex")}`;
    const files = injectedFiles(project, svc);
    const { Id: id } = await engine.client.containerCreate(body, { name });
    await injectFiles(engine, id, files);
    if (detach) {
      await engine.client.containerStart(id);
      streams.stdout.write(`${name}\n`);
      return 0;
    }
    const session = await attachContainer(engine.client, id, {
      tty,
      streams,
      stdin: true,
      stdout: true,
      stderr: true,
    });
    const wait = await engine.client.containerWait(id, "next-exit");
    try {
      await engine.client.containerStart(id);
      const [, result] = await Promise.all([session.done.catch(() => undefined), wait.result]);
      session.close();
      return result.StatusCode;
    } finally {
      if (flags.bool("rm")) await engine.client.containerRemove(id, { force: true }).catch(() => undefined);
    }
  },
};
