// builder prune: POST /build/prune (the step cache and RUN cache mounts), with docker's flags,
// prompt and output.
import { encodeFilters } from "../../client/filters.ts";
import { type Command, filterFlags, writeOut } from "../command.ts";
import { validators } from "../container-flags.ts";
import { humanSize4 } from "../units.ts";
import { confirm } from "./container-prune.ts";

const danglingWarning =
  "WARNING! This will remove all dangling build cache. Are you sure you want to continue?";
const allWarning = "WARNING! This will remove all build cache. Are you sure you want to continue?";

export const builderPruneCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    { name: "all", short: "a", usage: "Remove all unused build cache, not just dangling ones" },
    {
      name: "filter",
      type: "filter",
      usage: `Provide filter values (e.g. "until=24h")`,
      validate: validators.filter,
    },
    { name: "force", short: "f", usage: "Do not prompt for confirmation" },
    { name: "keep-storage", type: "string", usage: "Amount of disk space to keep for cache" },
  ],
  args: { none: true },
  async run(ctx, flags) {
    const all = flags.bool("all");
    if (!flags.bool("force") && !(await confirm(ctx, all ? allWarning : danglingWarning))) return 0;
    const report = await ctx
      .client()
      .json<{ CachesDeleted?: string[] | null; SpaceReclaimed?: number }>("POST", "/build/prune", {
        query: { filters: encodeFilters(filterFlags(flags)), ...(all ? { all: "1" } : {}) },
      });
    const deleted = report.CachesDeleted ?? [];
    let out = "";
    if (deleted.length > 0)
      out += `Deleted build cache objects:\n${deleted.map((id) => `${id}\n`).join("")}\n`;
    out += `Total reclaimed space: ${humanSize4(report.SpaceReclaimed ?? 0)}\n`;
    await writeOut(ctx.streams.stdout, out);
    return 0;
  },
};
