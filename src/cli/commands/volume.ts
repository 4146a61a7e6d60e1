// volume create / ls / inspect / rm / prune, with docker's flags and output.
import type { Volume } from "../../wire/volumes.ts";
import { type Command, filterFlags, forEachArg, StatusError, writeOut } from "../command.ts";
import { formatUsage, validators } from "../container-flags.ts";
import { kvMap } from "../opts/kv.ts";
import { humanSize4 } from "../units.ts";
import { confirm, deletedSection, pruneFlags, totalReclaimed } from "./prune.ts";

export const volumeCreateCommand: Command = {
  usage: "[OPTIONS] [VOLUME]",
  flags: [
    { name: "driver", short: "d", type: "string", usage: 'Specify volume driver name (default "local")' },
    { name: "label", type: "list", usage: "Set metadata for a volume" },
    { name: "name", type: "string", usage: "Specify volume name" },
    { name: "opt", short: "o", type: "map", usage: "Set driver specific options (default map[])" },
  ],
  args: { max: 1 },
  async run(ctx, flags, args) {
    const named = flags.string("name");
    if (named !== undefined && args[0] !== undefined) {
      throw new StatusError(
        "conflicting options: cannot specify a volume-name through both --name and as a positional arg",
        1,
      );
    }
    const volume = await ctx.client().volumeCreate({
      Name: args[0] ?? named ?? "",
      Driver: flags.string("driver") ?? "local",
      DriverOpts: kvMap(flags.list("opt")),
      Labels: kvMap(flags.list("label")),
    });
    await writeOut(ctx.streams.stdout, `${volume.Name}\n`);
    return 0;
  },
};

const volumeHeaders: Readonly<Record<string, string>> = {
  Name: "VOLUME NAME",
  Driver: "DRIVER",
  Scope: "SCOPE",
  Mountpoint: "MOUNTPOINT",
  Labels: "LABELS",
  Links: "LINKS",
  Size: "SIZE",
  Availability: "AVAILABILITY",
  Group: "GROUP",
  Status: "STATUS",
};

/** One row of `docker volume ls` (formatter's volumeContext). */
function volumeRow(v: Volume): Record<string, unknown> {
  const labels = v.Labels ?? {};
  return {
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: Object.entries(labels)
      .map(([k, val]) => `${k}=${val}`)
      .sort()
      .join(","),
    Links: v.UsageData ? String(v.UsageData.RefCount) : "N/A",
    Size: v.UsageData && v.UsageData.Size >= 0 ? humanSize4(v.UsageData.Size) : "N/A",
    Availability: "N/A",
    Group: "N/A",
    Status: "N/A",
    Label: (name: unknown) => labels[String(name)] ?? "",
  };
}

export const volumeLsCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    {
      name: "filter",
      short: "f",
      type: "filter",
      usage: 'Provide filter values (e.g. "dangling=true")',
      validate: validators.filter,
    },
    { name: "format", type: "string", usage: formatUsage },
    { name: "quiet", short: "q", usage: "Only display volume names" },
  ],
  args: { none: true },
  async run(ctx, flags) {
    const list = await ctx.client().volumeList(filterFlags(flags));
    const volumes = [...(list.Volumes ?? [])].sort((a, b) =>
      a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0,
    );
    const { formatRows } = await import("../format/table.ts");
    const out = formatRows(
      flags.string("format"),
      "table {{.Driver}}\t{{.Name}}",
      volumeHeaders,
      volumes.map(volumeRow),
      { quiet: flags.bool("quiet"), quietFormat: "{{.Name}}" },
    );
    for (const w of list.Warnings ?? []) await writeOut(ctx.streams.stderr, `${w}\n`);
    await writeOut(ctx.streams.stdout, out);
    return 0;
  },
};

export const volumeRmCommand: Command = {
  usage: "[OPTIONS] VOLUME [VOLUME...]",
  flags: [{ name: "force", short: "f", usage: "Force the removal of one or more volumes" }],
  args: { min: 1 },
  run(ctx, flags, args) {
    const force = flags.bool("force");
    return forEachArg(ctx, args, async (name) => {
      await ctx.client().volumeRemove(name, force);
      return name;
    });
  },
};

const pruneWarning =
  "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?";
const pruneAllWarning =
  "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?";

export const volumePruneCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    { name: "all", short: "a", usage: "Remove all unused volumes, not just anonymous ones" },
    ...pruneFlags("label=<label>"),
  ],
  args: { none: true },
  async run(ctx, flags) {
    const filters = filterFlags(flags);
    const all = flags.bool("all");
    if (all) {
      // As docker's CLI: older daemons would prune named volumes anyway, so refuse up front.
      const version = await ctx.client().apiVersion();
      const [major = 0, minor = 0] = version.split(".").map(Number);
      if (major < 1 || (major === 1 && minor < 42)) {
        throw new StatusError(
          `"--all" requires API version 1.42, but the Docker daemon API version is ${version}`,
          1,
        );
      }
      if (filters.has("all"))
        throw new StatusError("conflicting options: cannot specify both --all and --filter all=1", 1);
      filters.set("all", ["true"]);
    }
    if (!flags.bool("force") && !(await confirm(ctx, all ? pruneAllWarning : pruneWarning))) return 0;
    const report = await ctx.client().volumePrune(filters);
    const deleted = report.VolumesDeleted ?? [];
    await writeOut(
      ctx.streams.stdout,
      deletedSection("Deleted Volumes", deleted) +
        totalReclaimed(deleted.length > 0 ? report.SpaceReclaimed : 0),
    );
    return 0;
  },
};
