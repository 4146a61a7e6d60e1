// image prune and system df.

import { encodeFilters } from "../../client/filters.ts";
import type { ImageSummary } from "../../client/types.ts";
import { type Command, filterFlags, writeOut } from "../command.ts";
import { formatUsage } from "../container-flags.ts";
import { humanSize, relativeTime, truncateId } from "../format/humanize.ts";
import { humanSize4 } from "../units.ts";
import { imageNames } from "./image-ls.ts";
import { confirm, deletedImagesSection, type ImageDeleteItem, pruneFlags, totalReclaimed } from "./prune.ts";

const danglingWarning = "WARNING! This will remove all dangling images.\nAre you sure you want to continue?";
const allWarning =
  "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?";

export const imagePruneCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    { name: "all", short: "a", usage: "Remove all unused images, not just dangling ones" },
    ...pruneFlags("until=<timestamp>"),
  ],
  args: { none: true },
  async run(ctx, flags) {
    const filters = filterFlags(flags);
    const all = flags.bool("all");
    filters.set("dangling", [all ? "false" : "true"]);
    if (!flags.bool("force") && !(await confirm(ctx, all ? allWarning : danglingWarning))) return 0;
    const report = await ctx
      .client()
      .json<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }>("POST", "/images/prune", {
        query: { filters: encodeFilters(filters) },
      });
    await writeOut(
      ctx.streams.stdout,
      deletedImagesSection(report.ImagesDeleted) + totalReclaimed(report.SpaceReclaimed),
    );
    return 0;
  },
};

interface ContainerUsage {
  Id: string;
  Names: string[];
  Image: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  SizeRw?: number;
  Mounts?: Array<{ Driver?: string }>;
}

interface BuildCacheUsage {
  ID: string;
  Type: string;
  Size: number;
  InUse: boolean;
  Shared: boolean;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

interface DiskUsage {
  LayersSize?: number;
  Images?: ImageSummary[];
  Containers?: ContainerUsage[];
  Volumes?: Array<{ Name: string; UsageData?: { Size: number; RefCount: number } }>;
  BuildCache?: BuildCacheUsage[];
  BuilderSize?: number;
}

function percent(part: number, total: number): string {
  return total > 0 ? ` (${Math.trunc((part * 100) / total)}%)` : "";
}

export const systemDfCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    { name: "format", type: "string", usage: formatUsage },
    { name: "verbose", short: "v", usage: "Show detailed information on space usage" },
  ],
  args: { none: true },
  async run(ctx, flags) {
    const du = await ctx.client().json<DiskUsage>("GET", "/system/df");
    const images = du.Images ?? [];
    const containers = du.Containers ?? [];
    const volumes = du.Volumes ?? [];
    const cache = du.BuildCache ?? [];
    const { formatRows, tabulate } = await import("../format/table.ts");
    const now = new Date();
    if (flags.bool("verbose")) {
      let out = "Images space usage:\n\n";
      const rows = images.flatMap((img) =>
        imageNames(img, false).map(([repo, tag]) =>
          [
            repo,
            tag,
            truncateId(img.Id),
            relativeTime(img.Created, now),
            humanSize(img.Size),
            humanSize4(img.SharedSize),
            humanSize4(img.Size - img.SharedSize),
            String(img.Containers),
          ].join("\t"),
        ),
      );
      out += tabulate([
        "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS",
        ...rows,
      ]);
      out += "\nContainers space usage:\n\n";
      out += tabulate([
        "CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES",
        ...containers.map((c) =>
          [
            c.Id.slice(0, 12),
            c.Image,
            JSON.stringify(c.Command.length > 19 ? `${c.Command.slice(0, 19)}…` : c.Command),
            String((c.Mounts ?? []).filter((m) => m.Driver === "local").length),
            humanSize(c.SizeRw ?? 0),
            relativeTime(c.Created, now),
            c.Status,
            (c.Names[0] ?? "").replace(/^\//, ""),
          ].join("\t"),
        ),
      ]);
      out += "\nLocal Volumes space usage:\n\n";
      out += tabulate([
        "VOLUME NAME\tLINKS\tSIZE",
        ...volumes.map(
          (v) => `${v.Name}\t${v.UsageData?.RefCount ?? 0}\t${humanSize4(v.UsageData?.Size ?? 0)}`,
        ),
      ]);
      const cacheTotal = du.BuilderSize ?? cache.reduce((s, b) => s + b.Size, 0);
      out += `\nBuild cache usage: ${humanSize4(cacheTotal)}\n\n`;
      const since = (t: string | null) => (t ? relativeTime(Date.parse(t) / 1000, now) : "");
      out += tabulate([
        "CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED",
        ...cache.map((b) =>
          [
            `${b.ID.slice(0, 12)}${b.InUse ? "*" : ""}`,
            b.Type,
            humanSize(b.Size),
            since(b.CreatedAt),
            since(b.LastUsedAt),
            String(b.UsageCount),
            String(b.Shared),
          ].join("\t"),
        ),
      ]);
      await writeOut(ctx.streams.stdout, out);
      return 0;
    }
    const activeImages = images.filter((i) => i.Containers > 0);
    const imagesSize = du.LayersSize ?? 0;
    // The docker CLI's sum: each active image's unique bytes (its shared ones count as reclaimable).
    const activeSize = activeImages
      .filter((i) => i.SharedSize !== -1)
      .reduce((sum, i) => sum + i.Size - i.SharedSize, 0);
    const reclaimImages = Math.max(0, imagesSize - activeSize);
    const containersSize = containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
    const reclaimContainers = containers
      .filter((c) => c.State !== "running")
      .reduce((s, c) => s + (c.SizeRw ?? 0), 0);
    const volumesSize = volumes.reduce((s, v) => s + Math.max(0, v.UsageData?.Size ?? 0), 0);
    const cacheSize = cache.reduce((s, b) => s + b.Size, 0);
    const rows = [
      {
        Type: "Images",
        TotalCount: String(images.length),
        Active: String(activeImages.length),
        Size: humanSize4(imagesSize),
        Reclaimable: `${humanSize4(reclaimImages)}${percent(reclaimImages, imagesSize)}`,
      },
      {
        Type: "Containers",
        TotalCount: String(containers.length),
        Active: String(containers.filter((c) => c.State === "running").length),
        Size: humanSize4(containersSize),
        Reclaimable: `${humanSize4(reclaimContainers)}${percent(reclaimContainers, containersSize)}`,
      },
      {
        Type: "Local Volumes",
        TotalCount: String(volumes.length),
        Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length),
        Size: humanSize4(volumesSize),
        Reclaimable: humanSize4(0),
      },
      {
        Type: "Build Cache",
        TotalCount: String(cache.length),
        Active: String(cache.filter((b) => b.InUse).length),
        Size: humanSize4(cacheSize),
        Reclaimable: humanSize4(cacheSize),
      },
    ];
    await writeOut(
      ctx.streams.stdout,
      formatRows(
        flags.string("format"),
        "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        { Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE" },
        rows,
      ),
    );
    return 0;
  },
};
