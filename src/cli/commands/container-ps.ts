// ps / container ls.
import type { ContainerSummary } from "../../client/types.ts";
import { type Command, filterFlags, writeOut } from "../command.ts";
import { formatUsage, validators } from "../container-flags.ts";
import { humanSize, portsColumn, relativeTime, shortenCommand, truncateId } from "../format/humanize.ts";
import { familiarString, parseNormalizedNamed } from "../reference.ts";
import { goTimeString } from "../timestamps.ts";

export const psTableFormat =
  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

export const psHeaders: Readonly<Record<string, string>> = {
  ID: "CONTAINER ID",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Size: "SIZE",
  Names: "NAMES",
  Labels: "LABELS",
  Mounts: "MOUNTS",
  Networks: "NETWORKS",
  LocalVolumes: "LOCAL VOLUMES",
  Platform: "PLATFORM",
};

/** The IMAGE column: digests and default tags dropped, IDs shortened (ContainerContext.Image). */
function imageColumn(c: ContainerSummary, trunc: boolean): string {
  if (!c.Image) return "<no image>";
  if (!trunc) return c.Image;
  if (truncateId(c.ImageID) === truncateId(c.Image)) return truncateId(c.Image);
  try {
    const ref = parseNormalizedNamed(c.Image);
    return familiarString({ ...ref, digest: undefined });
  } catch {
    return c.Image;
  }
}

function namesColumn(c: ContainerSummary, trunc: boolean): string {
  let names = (c.Names ?? []).map((n) => n.replace(/^\//, ""));
  if (trunc) {
    const plain = names.find((n) => !n.includes("/"));
    if (plain !== undefined) names = [plain];
  }
  return names.join(",");
}

function sizeColumn(c: ContainerSummary): string {
  const rw = humanSize(c.SizeRw ?? 0);
  return (c.SizeRootFs ?? 0) > 0 ? `${rw} (virtual ${humanSize(c.SizeRootFs ?? 0)})` : rw;
}

interface MountSummary {
  Name?: string;
  Source?: string;
  Driver?: string;
}

/** One `docker ps` row (formatter.ContainerContext) with docker's field names. */
export function containerRow(c: ContainerSummary, trunc: boolean, now: Date): Record<string, unknown> {
  const labels = c.Labels ?? {};
  const mounts = (c.Mounts ?? []) as MountSummary[];
  const networks = Object.keys(c.NetworkSettings?.Networks ?? {}).sort();
  return {
    Command: shortenCommand(c.Command ?? "", trunc ? 20 : Number.POSITIVE_INFINITY),
    CreatedAt: goTimeString(c.Created),
    ID: trunc ? truncateId(c.Id) : c.Id,
    Image: imageColumn(c, trunc),
    Labels: Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(","),
    LocalVolumes: String(mounts.filter((m) => m.Driver === "local").length),
    Mounts: mounts
      .map((m) => {
        const name = m.Name || m.Source || "";
        return trunc && name.length > 15 && /^[0-9a-f]{64}$/.test(name) ? `${name.slice(0, 12)}…` : name;
      })
      .join(","),
    Names: namesColumn(c, trunc),
    Networks: networks.join(","),
    Platform: null,
    Ports: portsColumn(c.Ports ?? []),
    RunningFor: relativeTime(c.Created, now),
    Size: sizeColumn(c),
    State: c.State,
    Status: c.Status,
    Label: (name: unknown) => labels[String(name)] ?? "",
  };
}

export const psCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    { name: "all", short: "a", usage: "Show all containers (default shows just running)" },
    {
      name: "filter",
      short: "f",
      type: "filter",
      usage: "Filter output based on conditions provided",
      validate: validators.filter,
    },
    { name: "format", type: "string", usage: formatUsage },
    {
      name: "last",
      short: "n",
      type: "int",
      usage: "Show n last created containers (includes all states)",
      default: "-1",
      validate: validators.int,
    },
    { name: "latest", short: "l", usage: "Show the latest created container (includes all states)" },
    { name: "no-trunc", usage: "Don't truncate output" },
    { name: "quiet", short: "q", usage: "Only display container IDs" },
    { name: "size", short: "s", usage: "Display total file sizes" },
  ],
  args: { none: true },
  async run(ctx, flags) {
    const filters = filterFlags(flags);
    const quiet = flags.bool("quiet");
    const format = flags.string("format") ?? "";
    let limit = flags.int("last") ?? -1;
    if (flags.bool("latest") && limit === -1) limit = 1;
    let size = flags.bool("size");
    // A custom format that shows .Size needs the sizes computed (docker/cli#24696).
    if (!quiet && !size && format !== "" && format !== "table" && /\.Size\b/.test(format)) size = true;
    const list = await ctx.client().containerList({ all: flags.bool("all"), limit, size, filters });
    let tableFormat = psTableFormat;
    if (size) tableFormat += "\t{{.Size}}";
    const trunc = !flags.bool("no-trunc");
    const now = new Date();
    const rows = list.map((c) => containerRow(c, trunc, now));
    const { formatRows } = await import("../format/table.ts");
    await writeOut(ctx.streams.stdout, formatRows(format, tableFormat, psHeaders, rows, { quiet }));
    return 0;
  },
};
