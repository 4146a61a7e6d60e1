// compose ps / logs.
import { StatusError, writeOut } from "../../cli/command.ts";
import { portsColumn, relativeTime, shortenCommand } from "../../cli/format/humanize.ts";
import { formatRows } from "../../cli/format/table.ts";
import { getTimestamp } from "../../cli/timestamps.ts";
import { projectContainers } from "../observe.ts";
import type { ComposeCommand } from "./command.ts";
import { LogPrinter } from "./log-printer.ts";

const psHeaders: Record<string, string> = {
  Name: "NAME",
  Image: "IMAGE",
  Command: "COMMAND",
  Service: "SERVICE",
  RunningFor: "CREATED",
  Status: "STATUS",
  Ports: "PORTS",
  State: "STATE",
  ID: "CONTAINER ID",
  Project: "PROJECT",
};

export const psCommand: ComposeCommand = {
  name: "ps",
  usage: "[OPTIONS] [SERVICE...]",
  description: "List containers",
  flags: [
    {
      name: "all",
      short: "a",
      usage: "Show all stopped containers (including those created by the run command)",
    },
    { name: "quiet", short: "q", usage: "Only display IDs" },
    { name: "services", usage: "Display services" },
    {
      name: "format",
      type: "string",
      usage: "Format output using a custom template: 'table', 'json' or a Go template",
      default: "table",
    },
    { name: "status", type: "stringArray", usage: "Filter services by status" },
    { name: "no-trunc", usage: "Don't truncate output" },
  ],
  async run(ctx, flags, args) {
    const project = await ctx.optionalProject();
    const name = project?.name ?? (await ctx.projectName());
    for (const s of args)
      if (project && !project.services[s]) throw new StatusError(`no such service: ${s}`, 1);
    let list = await projectContainers(ctx.engine(), name, {
      oneoff: flags.bool("all") ? "any" : false,
      services: args,
    });
    if (!flags.bool("all"))
      list = list.filter((c) => c.state === "running" || c.state === "restarting" || c.state === "paused");
    const statuses = flags.list("status");
    if (statuses.length > 0) list = list.filter((c) => statuses.includes(c.state));
    const out = ctx.cli.streams.stdout;
    if (flags.bool("services")) {
      const services =
        project && args.length === 0
          ? Object.keys(project.services)
          : [...new Set(list.map((c) => c.service))];
      await writeOut(out, services.map((s) => `${s}\n`).join(""));
      return 0;
    }
    const now = new Date();
    const trunc = !flags.bool("no-trunc");
    const rows = list.map((c) => ({
      ID: trunc ? c.id.slice(0, 12) : c.id,
      Name: c.name,
      Image: c.summary.Image,
      Command: trunc ? shortenCommand(c.summary.Command ?? "", 20) : `"${c.summary.Command}"`,
      Project: name,
      Service: c.service,
      RunningFor: relativeTime(c.summary.Created, now),
      Status: c.summary.Status,
      State: c.state,
      Ports: portsColumn(c.summary.Ports ?? []),
      Labels: Object.entries(c.summary.Labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
      Label: (key: unknown) => c.summary.Labels?.[String(key)] ?? "",
    }));
    const table =
      "table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}";
    await writeOut(
      out,
      formatRows(flags.string("format"), table, psHeaders, rows, { quiet: flags.bool("quiet") }),
    );
    return 0;
  },
};

export const logsCommand: ComposeCommand = {
  name: "logs",
  usage: "[OPTIONS] [SERVICE...]",
  description: "View output from containers",
  flags: [
    { name: "follow", short: "f", usage: "Follow log output" },
    {
      name: "tail",
      short: "n",
      type: "string",
      usage: "Number of lines to show from the end of the logs for each container",
      default: "all",
    },
    { name: "timestamps", short: "t", usage: "Show timestamps" },
    {
      name: "since",
      type: "string",
      usage: "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)",
    },
    {
      name: "until",
      type: "string",
      usage: "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)",
    },
    { name: "no-log-prefix", usage: "Don't print prefix in logs" },
    { name: "no-color", usage: "Produce monochrome output" },
  ],
  async run(ctx, flags, args) {
    const project = await ctx.optionalProject();
    const name = project?.name ?? (await ctx.projectName());
    for (const s of args)
      if (project && !project.services[s]) throw new StatusError(`no such service: ${s}`, 1);
    const engine = ctx.engine();
    const list = await projectContainers(engine, name, { services: args });
    const now = new Date();
    const since = flags.string("since");
    const until = flags.string("until");
    const printer = new LogPrinter(
      ctx.cli.streams.stdout,
      list.map((c) => c.name),
      { colour: flags.bool("no-color") ? false : undefined, prefix: !flags.bool("no-log-prefix") },
    );
    await Promise.all(
      list.map(async (c) => {
        const info = await engine.client.containerInspect(c.id);
        const res = await engine.client.containerLogs(c.id, {
          stdout: true,
          stderr: true,
          follow: flags.bool("follow"),
          timestamps: flags.bool("timestamps"),
          tail: flags.string("tail") ?? "all",
          since: since ? getTimestamp(since, now) : undefined,
          until: until ? getTimestamp(until, now) : undefined,
        });
        const sink = printer.sink(c.name, info.Config.Tty === true);
        for await (const chunk of res) sink.push(chunk as Buffer);
        sink.end();
      }),
    );
    return 0;
  },
};
