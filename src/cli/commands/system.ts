// version, info, events.

import { currentContextLabel } from "../../client/contexts.ts";
import type { EventMessage, InfoResponse, VersionResponse } from "../../client/types.ts";
import { clientMaxApiVersion } from "../../client/version.ts";
import { cliVersion } from "../build-info.ts";
import {
  type Command,
  type CommandContext,
  describeError,
  filterFlags,
  StatusError,
  writeOut,
} from "../command.ts";
import { formatUsageNoTable, validators } from "../container-flags.ts";
import { bytesSize } from "../format/humanize.ts";
import type { Template } from "../format/template.ts";
import { withGoAliases } from "../go-aliases.ts";
import { getTimestamp, rfc3339NanoFixed } from "../timestamps.ts";

const formatFlag = { name: "format", short: "f", type: "string", usage: formatUsageNoTable };

/** Runs a user's --format template once ("json" is `{{json .}}`); errors read as docker's. */
export async function renderUserTemplate(format: string, data: unknown): Promise<string> {
  const source = format === "json" ? "{{json .}}" : format;
  // The template engine loads on demand: most commands never need it.
  const { Template } = await import("../format/template.ts");
  let tmpl: Template;
  try {
    tmpl = new Template(source);
  } catch (err) {
    throw new StatusError(`template parsing error: ${(err as Error).message}`, 64);
  }
  try {
    return tmpl.execute(data);
  } catch (err) {
    throw new StatusError(`template: ${(err as Error).message.replace(/^template: /, "")}`, 1);
  }
}

const versionTemplate = `{{with .Client -}}
Client:
 Version:	{{.Version}}
 API version:	{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:	{{.GoVersion}}
 Git commit:	{{.GitCommit}}
 Built:	{{.BuildTime}}
 OS/Arch:	{{.Os}}/{{.Arch}}
 Context:	{{.Context}}
{{- end}}

{{- if .ServerOK}}{{with .Server}}

Server:{{if .Platform}}{{if .Platform.Name}} {{.Platform.Name}}{{end}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:	{{.Version}}
  API version:	{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:	{{index .Details "GoVersion"}}
  Git commit:	{{index .Details "GitCommit"}}
  Built:	{{index .Details "BuildTime"}}
  OS/Arch:	{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:	{{index .Details "Experimental"}}
  {{- else }}
  Version:	{{$component.Version}}
  {{- range $key, $value := $component.Details}}
  {{$key}}:	{{$value}}
  {{- end}}
  {{- end}}
 {{- end}}
{{- end}}{{- end}}`;

const arch = process.arch === "x64" ? "amd64" : process.arch;

export const versionCommand: Command = {
  usage: "[OPTIONS]",
  flags: [formatFlag],
  args: { none: true },
  async run(ctx, flags) {
    const client = ctx.client();
    let server: VersionResponse | undefined;
    let serverError: unknown;
    try {
      server = await client.version();
    } catch (err) {
      serverError = err;
    }
    const apiVersion = await client.apiVersion().catch(() => clientMaxApiVersion);
    const clientInfo = withGoAliases(
      {
        Version: cliVersion,
        ApiVersion: apiVersion,
        DefaultAPIVersion: clientMaxApiVersion,
        GitCommit: "",
        GoVersion: `node ${process.version}`,
        Os: "linux",
        Arch: arch,
        BuildTime: "",
        Context: currentContextLabel(ctx.contextChoice, ctx.env),
      },
      { APIVersion: "ApiVersion" },
    );
    if (server) reformatBuildTimes(server);
    const data = {
      Client: clientInfo,
      Server: server ? withGoAliases(server, { APIVersion: "ApiVersion" }) : null,
    };
    // docker's template asks .ServerOK; `{{json .}}` does not show it.
    Object.defineProperty(data, "ServerOK", { enumerable: false, value: server !== undefined });
    const format = flags.string("format");
    if (format) {
      await writeOut(ctx.streams.stdout, `${await renderUserTemplate(format, data)}\n`);
    } else {
      const text = await renderUserTemplate(versionTemplate, data);
      const { TabWriter } = await import("../format/tabwriter.ts");
      const tw = new TabWriter({ minwidth: 20, tabwidth: 1, padding: 1, padchar: " " });
      tw.write(`${text}\n`);
      await writeOut(ctx.streams.stdout, tw.flush());
    }
    if (serverError) throw serverError;
    return 0;
  },
};

/**
 * The docker CLI's reformatDate: an RFC 3339 build time is shown in Go's time.ANSIC layout
 * ("Thu May  7 21:09:36 2026"), in the time's own zone; anything else is shown as it came.
 */
export function ansicDate(value: string): string {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(value);
  if (!m) return value;
  const [, y, mo, d, h, mi, sec] = m.map(Number) as number[];
  const date = new Date(Date.UTC(y as number, (mo as number) - 1, d));
  if (date.getUTCDate() !== d) return value;
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const two = (n: number | undefined) => String(n).padStart(2, "0");
  return `${days[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${String(d).padStart(2, " ")} ${two(h)}:${two(mi)}:${two(sec)} ${y}`;
}

function reformatBuildTimes(server: VersionResponse): void {
  const v = server as VersionResponse & { BuildTime?: string };
  if (typeof v.BuildTime === "string") v.BuildTime = ansicDate(v.BuildTime);
  for (const c of server.Components ?? []) {
    const details = c.Details as Record<string, unknown> | undefined;
    if (c.Name === "Engine" && typeof details?.BuildTime === "string")
      details.BuildTime = ansicDate(details.BuildTime);
  }
}

// ---- info -------------------------------------------------------------------------------

type Line = Array<string | number | boolean | undefined>;

function println(...args: Line): string {
  return `${args.map((a) => String(a ?? "")).join(" ")}\n`;
}

function nonEmpty(label: string, value: unknown): string {
  return value === undefined || value === null || value === "" ? "" : println(label, String(value));
}

function serverInfoText(info: InfoResponse): string {
  const i = info as Record<string, unknown> & InfoResponse;
  const str = (k: string) => (i[k] === undefined || i[k] === null ? "" : String(i[k]));
  let out = "";
  out += println(" Containers:", i.Containers ?? 0);
  out += println("  Running:", i.ContainersRunning ?? 0);
  out += println("  Paused:", i.ContainersPaused ?? 0);
  out += println("  Stopped:", i.ContainersStopped ?? 0);
  out += println(" Images:", i.Images ?? 0);
  out += nonEmpty(" Server Version:", i.ServerVersion);
  out += nonEmpty(" Storage Driver:", i.Driver);
  for (const [k, v] of i.DriverStatus ?? []) out += `  ${k}: ${v}\n`;
  out += nonEmpty(" Logging Driver:", str("LoggingDriver"));
  out += nonEmpty(" Cgroup Driver:", str("CgroupDriver"));
  out += nonEmpty(" Cgroup Version:", str("CgroupVersion"));
  const plugins = i.Plugins ?? {};
  out += println(" Plugins:");
  out += println("  Volume:", (plugins.Volume ?? []).join(" "));
  out += println("  Network:", (plugins.Network ?? []).join(" "));
  if ((plugins.Authorization ?? []).length > 0)
    out += println("  Authorization:", (plugins.Authorization ?? []).join(" "));
  out += println("  Log:", (plugins.Log ?? []).join(" "));
  const swarm = (i.Swarm ?? {}) as { LocalNodeState?: string };
  out += println(" Swarm:", swarm.LocalNodeState ?? "inactive");
  const runtimes = Object.keys((i.Runtimes ?? {}) as object).sort();
  if (runtimes.length > 0) {
    out += println(" Runtimes:", runtimes.join(" "));
    out += println(" Default Runtime:", str("DefaultRuntime"));
  }
  if (i.OSType === "linux") {
    out += println(" Init Binary:", str("InitBinary"));
    for (const [name, key] of [
      ["containerd", "ContainerdCommit"],
      ["runc", "RuncCommit"],
      ["init", "InitCommit"],
    ] as const) {
      const commit = (i[key] ?? {}) as { ID?: string };
      out += ` ${name} version: ${commit.ID ?? ""}\n`;
    }
    const secopts = (i.SecurityOptions ?? []) as string[];
    if (secopts.length > 0) {
      out += println(" Security Options:");
      for (const so of secopts) {
        const kv = Object.fromEntries(so.split(",").map((p) => p.split("=") as [string, string]));
        out += println(`  ${kv.name ?? so}`);
        if (kv.profile) out += println("   Profile:", kv.profile);
      }
    }
  }
  out += nonEmpty(" Kernel Version:", i.KernelVersion);
  out += nonEmpty(" Operating System:", i.OperatingSystem);
  out += nonEmpty(" OSType:", i.OSType);
  out += nonEmpty(" Architecture:", i.Architecture);
  out += println(" CPUs:", Number(i.NCPU ?? 0));
  out += println(" Total Memory:", bytesSize(Number(i.MemTotal ?? 0)));
  out += nonEmpty(" Name:", i.Name);
  out += nonEmpty(" ID:", i.ID);
  out += println(" Docker Root Dir:", str("DockerRootDir"));
  out += println(" Debug Mode:", i.Debug === true);
  out += nonEmpty(" HTTP Proxy:", i.HttpProxy);
  out += nonEmpty(" HTTPS Proxy:", i.HttpsProxy);
  out += nonEmpty(" No Proxy:", i.NoProxy);
  const labels = (i.Labels ?? []) as string[];
  if (labels.length > 0) {
    out += println(" Labels:");
    for (const l of labels) out += println(`  ${l}`);
  }
  out += println(" Experimental:", i.ExperimentalBuild === true);
  const reg = (i.RegistryConfig ?? null) as {
    InsecureRegistryCIDRs?: string[];
    IndexConfigs?: Record<string, { Name: string; Secure: boolean }>;
    Mirrors?: string[];
  } | null;
  const cidrs = reg?.InsecureRegistryCIDRs ?? [];
  const indexes = Object.values(reg?.IndexConfigs ?? {});
  if (reg && (cidrs.length > 0 || indexes.length > 0)) {
    out += println(" Insecure Registries:");
    for (const c of indexes) if (!c.Secure) out += println(`  ${c.Name}`);
    for (const c of cidrs) out += `  ${c}\n`;
  }
  if ((reg?.Mirrors ?? []).length > 0) {
    out += println(" Registry Mirrors:");
    for (const m of reg?.Mirrors ?? []) out += println(`  ${m}`);
  }
  out += println(" Live Restore Enabled:", i.LiveRestoreEnabled === true);
  const pools = (i.DefaultAddressPools ?? []) as Array<{ Base: string; Size: number }>;
  if (pools.length > 0) {
    out += println(" Default Address Pools:");
    for (const p of pools) out += `   Base: ${p.Base}, Size: ${p.Size}\n`;
  }
  out += "\n";
  return out;
}

export const infoCommand: Command = {
  usage: "[OPTIONS]",
  flags: [formatFlag],
  args: { none: true },
  async run(ctx, flags) {
    let info: InfoResponse | undefined;
    let serverError: unknown;
    try {
      info = await ctx.client().info();
    } catch (err) {
      serverError = err;
    }
    const clientInfo = {
      Debug: false,
      Context: currentContextLabel(ctx.contextChoice, ctx.env),
      Version: cliVersion,
      Plugins: [],
      Warnings: null,
    };
    const format = flags.string("format");
    if (format) {
      if (serverError) throw serverError;
      const data = { ...info, ClientInfo: clientInfo };
      await writeOut(ctx.streams.stdout, `${await renderUserTemplate(format, data)}\n`);
      return 0;
    }
    let out = "Client:\n";
    out += println(" Version:   ", cliVersion);
    out += println(" Context:   ", clientInfo.Context);
    out += println(" Debug Mode:", false);
    out += "\nServer:\n";
    if (info) out += serverInfoText(info);
    await writeOut(ctx.streams.stdout, out);
    for (const w of (info?.Warnings ?? []) as string[]) await writeOut(ctx.streams.stderr, `${w}\n`);
    if (serverError) {
      await writeOut(ctx.streams.stderr, `ERROR: ${describeError(serverError)}\n`);
      throw new StatusError("errors pretty printing info", 1);
    }
    return 0;
  },
};

// ---- events -----------------------------------------------------------------------------

function prettyEvent(e: EventMessage): string {
  let out = "";
  if (e.timeNano) out += `${rfc3339NanoFixed(BigInt(e.timeNano))} `;
  else if (e.time) out += `${rfc3339NanoFixed(BigInt(e.time) * 1_000_000_000n)} `;
  out += `${e.Type} ${e.Action} ${e.Actor?.ID ?? ""}`;
  const attrs = e.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length > 0) out += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(", ")})`;
  return `${out}\n`;
}

function eventData(e: EventMessage): EventMessage {
  // A nil map in Go reads as empty in templates.
  if (e.Actor && !e.Actor.Attributes) e.Actor.Attributes = {};
  return withGoAliases(e, {
    Status: "status",
    ID: "id",
    From: "from",
    Scope: "scope",
    Time: "time",
    TimeNano: "timeNano",
  });
}

async function runEvents(ctx: CommandContext, flags: import("../flags.ts").ParsedFlags): Promise<number> {
  const filters = filterFlags(flags);
  const format = flags.string("format");
  let tmpl: Template | undefined;
  if (format) {
    const { Template } = await import("../format/template.ts");
    try {
      tmpl = new Template(format === "json" ? "{{json .}}" : format);
      tmpl.execute(
        eventData({ Type: "", Action: "", Actor: { ID: "", Attributes: {} }, time: 0, timeNano: 0 }),
      );
    } catch (err) {
      throw new StatusError((err as Error).message, 1);
    }
  }
  const now = new Date();
  const since = flags.string("since");
  const until = flags.string("until");
  const stream = await ctx.client().events({
    since: since ? getTimestamp(since, now) : undefined,
    until: until ? getTimestamp(until, now) : undefined,
    filters,
  });
  for await (const e of stream) {
    const text = tmpl ? `${tmpl.execute(eventData(e))}\n` : prettyEvent(e);
    await writeOut(ctx.streams.stdout, text);
  }
  return 0;
}

export const eventsCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    {
      name: "filter",
      short: "f",
      type: "filter",
      usage: "Filter output based on conditions provided",
      validate: validators.filter,
    },
    { name: "format", type: "string", usage: formatUsageNoTable },
    { name: "since", type: "string", usage: "Show all events created since timestamp" },
    { name: "until", type: "string", usage: "Stream events until this timestamp" },
  ],
  args: { none: true },
  run: runEvents,
};
