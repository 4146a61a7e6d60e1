// compose config / ls / top / port / cp / events / version.
import { mkdirSync, statSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { create as tarCreate, extract as tarExtract } from "tar";
import { stringify } from "yaml";
import { StatusError, writeOut } from "../../cli/command.ts";
import { formatRows } from "../../cli/format/table.ts";
import * as L from "../labels.ts";
import type { Project } from "../model.ts";
import { projectContainers } from "../observe.ts";
import type { ComposeCommand } from "./command.ts";

/** The model as `docker compose config` prints it: keys sorted, the project name first. */
export function configDocument(project: Project): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: project.name, services: project.services };
  if (Object.keys(project.networks).length > 0) doc.networks = project.networks;
  if (Object.keys(project.volumes).length > 0) doc.volumes = project.volumes;
  if (Object.keys(project.secrets).length > 0) doc.secrets = project.secrets;
  if (Object.keys(project.configs).length > 0) doc.configs = project.configs;
  return doc;
}

const sortKeys = (a: { key: unknown }, b: { key: unknown }) => {
  const x = String((a.key as { value?: unknown })?.value ?? a.key);
  const y = String((b.key as { value?: unknown })?.value ?? b.key);
  return x < y ? -1 : x > y ? 1 : 0;
};

export const configCommand: ComposeCommand = {
  name: "config",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Parse, resolve and render compose file in canonical format",
  flags: [
    { name: "format", type: "string", usage: "Format the output. Values: [yaml | json]", default: "yaml" },
    { name: "quiet", short: "q", usage: "Only validate the configuration, don't print anything" },
    { name: "services", usage: "Print the service names, one per line" },
    { name: "volumes", usage: "Print the volume names, one per line" },
    { name: "profiles", usage: "Print the profile names, one per line" },
    { name: "images", usage: "Print the image names, one per line" },
    {
      name: "hash",
      type: "string",
      usage:
        'Print the service config hash, one per line. Set "service1,service2" for a list of specified services or use the wildcard symbol to display all services',
    },
    { name: "output", short: "o", type: "string", usage: "Save to file (default to stdout)" },
    { name: "no-interpolate", usage: "Don't interpolate environment variables" },
  ],
  async run(ctx, flags, args) {
    const project = await ctx.project(args, { interpolate: !flags.bool("no-interpolate") });
    const out = ctx.cli.streams.stdout;
    if (flags.bool("quiet")) return 0;
    const lines = async (xs: string[]) => {
      await writeOut(out, xs.map((x) => `${x}\n`).join(""));
      return 0;
    };
    if (flags.bool("services")) return lines(Object.keys(project.services));
    if (flags.bool("volumes")) return lines(Object.keys(project.volumes));
    if (flags.bool("images")) return lines(Object.values(project.services).map((s) => s.image ?? ""));
    if (flags.bool("profiles")) {
      const all = new Set<string>();
      for (const s of [...Object.values(project.services), ...Object.values(project.disabledServices)])
        for (const p of s.profiles ?? []) all.add(p);
      return lines([...all].sort());
    }
    const hash = flags.string("hash");
    if (hash !== undefined) {
      const { serviceConfigHash } = await import("../hash.ts");
      const names = hash === "*" ? Object.keys(project.services) : hash.split(",");
      const rows: string[] = [];
      for (const n of names) {
        const svc = project.services[n];
        if (!svc) throw new StatusError(`no such service: ${n}`, 1);
        rows.push(`${n} ${serviceConfigHash(svc)}`);
      }
      return lines(rows);
    }
    const doc = configDocument(project);
    const format = flags.string("format") ?? "yaml";
    let text: string;
    if (format === "json") text = `${JSON.stringify(doc, null, 4)}\n`;
    else if (format === "yaml")
      text = stringify(doc, { sortMapEntries: sortKeys, lineWidth: 0, aliasDuplicateObjects: false });
    else throw new StatusError(`unsupported format ${JSON.stringify(format)}`, 1);
    const output = flags.string("output");
    if (output) {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(output, text);
      return 0;
    }
    await writeOut(out, text);
    return 0;
  },
};

export const lsCommand: ComposeCommand = {
  name: "ls",
  usage: "[OPTIONS]",
  description: "List running compose projects",
  flags: [
    { name: "all", short: "a", usage: "Show all stopped Compose projects" },
    { name: "quiet", short: "q", usage: "Only display project names" },
    { name: "format", type: "string", usage: "Format the output. Values: [table | json]", default: "table" },
    { name: "filter", type: "filter", usage: "Filter output based on conditions provided" },
  ],
  async run(ctx, flags) {
    const list = await ctx
      .engine()
      .client.containerList({ all: true, filters: new Map([["label", [L.PROJECT]]]) });
    const projects = new Map<string, { states: Map<string, number>; files: string }>();
    for (const c of list) {
      const name = c.Labels?.[L.PROJECT];
      if (!name) continue;
      const p = projects.get(name) ?? { states: new Map(), files: c.Labels?.[L.CONFIG_FILES] ?? "" };
      p.states.set(c.State, (p.states.get(c.State) ?? 0) + 1);
      projects.set(name, p);
    }
    const rows = [...projects.entries()]
      .filter(([, p]) => flags.bool("all") || p.states.has("running"))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, p]) => ({
        Name: name,
        Status: [...p.states.entries()]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([s, n]) => `${s}(${n})`)
          .join(", "),
        ConfigFiles: p.files,
      }));
    const headers = { Name: "NAME", Status: "STATUS", ConfigFiles: "CONFIG FILES" };
    await writeOut(
      ctx.cli.streams.stdout,
      formatRows(flags.string("format"), "table {{.Name}}\t{{.Status}}\t{{.ConfigFiles}}", headers, rows, {
        quiet: flags.bool("quiet"),
        quietFormat: "{{.Name}}",
      }),
    );
    return 0;
  },
};

export const topCommand: ComposeCommand = {
  name: "top",
  usage: "[SERVICES...]",
  description: "Display the running processes",
  flags: [],
  async run(ctx, _flags, args) {
    const name = await ctx.projectName();
    const engine = ctx.engine();
    for (const c of await projectContainers(engine, name, { services: args, all: false })) {
      const top = await engine.top(c.id);
      const { tabulate } = await import("../../cli/format/table.ts");
      await writeOut(
        ctx.cli.streams.stdout,
        `${c.name}\n${tabulate([top.Titles.join("\t"), ...top.Processes.map((p) => p.join("\t"))])}\n`,
      );
    }
    return 0;
  },
};

export const portCommand: ComposeCommand = {
  name: "port",
  usage: "[OPTIONS] SERVICE PRIVATE_PORT",
  description: "Print the public port for a port binding",
  flags: [
    {
      name: "index",
      type: "int",
      usage: "Index of the container if service has multiple replicas",
      default: "1",
    },
    { name: "protocol", type: "string", usage: "tcp or udp", default: "tcp" },
  ],
  async run(ctx, flags, args) {
    const [service, port] = args;
    if (!service || !port || args.length !== 2)
      throw new StatusError("port requires 2 arguments: SERVICE PRIVATE_PORT", 1);
    const name = await ctx.projectName();
    const engine = ctx.engine();
    const c = (await projectContainers(engine, name, { services: [service] })).find(
      (x) => x.number === (flags.int("index") ?? 1),
    );
    if (!c) throw new StatusError(`service "${service}" is not running`, 1);
    const info = await engine.client.containerInspect(c.id);
    const ports =
      (
        info.NetworkSettings as
          | { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> }
          | undefined
      )?.Ports ?? {};
    const binding = ports[`${port}/${flags.string("protocol") ?? "tcp"}`]?.[0];
    if (!binding)
      throw new StatusError(
        `no port ${port}/${flags.string("protocol") ?? "tcp"} for container ${c.name}`,
        1,
      );
    await writeOut(ctx.cli.streams.stdout, `${binding.HostIp || "0.0.0.0"}:${binding.HostPort}\n`);
    return 0;
  },
};

export const cpCommand: ComposeCommand = {
  name: "cp",
  usage: "[OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n\tdocker compose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH",
  description: "Copy files/folders between a service container and the local filesystem",
  flags: [
    {
      name: "index",
      type: "int",
      usage: "Index of the container if service has multiple replicas",
      default: "1",
    },
  ],
  async run(ctx, flags, args) {
    if (args.length !== 2) throw new StatusError("cp requires 2 arguments", 1);
    const [src = "", dest = ""] = args;
    const split = (s: string) => {
      const m = /^([a-zA-Z0-9._-]+):(.*)$/.exec(s);
      return m ? { service: m[1] as string, path: m[2] as string } : undefined;
    };
    const from = split(src);
    const to = split(dest);
    if ((from && to) || (!from && !to))
      throw new StatusError("copying between services or between local paths is not supported", 1);
    const name = await ctx.projectName();
    const engine = ctx.engine();
    const target = from ?? to;
    const c = (await projectContainers(engine, name, { services: [target?.service ?? ""] })).find(
      (x) => x.number === (flags.int("index") ?? 1),
    );
    if (!c) throw new StatusError(`no container found for service "${target?.service}"`, 1);
    if (from) {
      const res = await engine.archiveGet(c.id, from.path);
      let outDir = resolve(dest);
      let isDir = false;
      try {
        isDir = statSync(outDir).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir) {
        mkdirSync(dirname(outDir), { recursive: true });
        outDir = dirname(outDir);
      }
      await pipeline(res, tarExtract({ cwd: outDir }));
    } else if (to) {
      const tar = tarCreate({ cwd: dirname(resolve(src)), portable: true }, [basename(resolve(src))]);
      await engine.archivePut(c.id, to.path, Readable.from(tar));
    }
    return 0;
  },
};

export const eventsCommand: ComposeCommand = {
  name: "events",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Receive real time events from containers",
  flags: [{ name: "json", usage: "Output events as a stream of json objects" }],
  async run(ctx, flags, args) {
    const name = await ctx.projectName();
    const stream = await ctx.engine().client.events({ filters: L.projectFilter(name) });
    for await (const e of stream) {
      const attrs = e.Actor.Attributes ?? {};
      const service = attrs[L.SERVICE] ?? "";
      if (args.length > 0 && !args.includes(service)) continue;
      const time = new Date(Number(BigInt(e.timeNano) / 1000000n)).toISOString();
      if (flags.bool("json")) {
        ctx.cli.streams.stdout.write(
          `${JSON.stringify({ time, type: e.Type, action: e.Action, id: e.Actor.ID, service, attributes: attrs })}\n`,
        );
      } else {
        const shown = Object.entries(attrs)
          .filter(([k]) => !k.startsWith("com.docker.compose."))
          .map(([k, v]) => `${k}=${v}`)
          .join(", ");
        ctx.cli.streams.stdout.write(`${time} ${e.Type} ${e.Action} ${e.Actor.ID} (${shown})\n`);
      }
    }
    return 0;
  },
};

export const versionCommand: ComposeCommand = {
  name: "version",
  usage: "[OPTIONS]",
  description: "Show the Docker Compose version information",
  flags: [{ name: "short", usage: "Shows only Compose's version number" }],
  async run(ctx, flags) {
    await writeOut(
      ctx.cli.streams.stdout,
      flags.bool("short") ? `${L.composeVersion}\n` : `wharf compose version v${L.composeVersion}\n`,
    );
    return 0;
  },
};
