// What every `… prune` command shares (docker's confirmation prompt, --force/--filter flags,
// the "Deleted …:" report lines), plus `system prune` and `builder prune`, which docker's CLI
// builds on the client side from the per-object prune endpoints.
import { createInterface } from "node:readline";
import { encodeFilters, type FilterMap } from "../../client/filters.ts";
import { type Command, type CommandContext, filterFlags, writeOut } from "../command.ts";
import { validators } from "../container-flags.ts";
import type { FlagSpec } from "../flags.ts";
import { parseMemBytes } from "../opts/values.ts";
import { humanSize4 } from "../units.ts";

/** command.PromptForConfirmation: "y" or "Y" confirms; anything else (or no input) declines. */
export async function confirm(ctx: CommandContext, message: string): Promise<boolean> {
  await writeOut(ctx.streams.stdout, `${message} [y/N] `);
  const rl = createInterface({ input: ctx.streams.stdin, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
    });
    return answer.trim().toLowerCase() === "y";
  } finally {
    rl.close();
    ctx.streams.stdin.pause();
  }
}

/** `--filter` with docker's usage text for this command, and `-f/--force`. */
export function pruneFlags(filterExample: string): FlagSpec[] {
  return [
    {
      name: "filter",
      type: "filter",
      usage: `Provide filter values (e.g. "${filterExample}")`,
      validate: validators.filter,
    },
    { name: "force", short: "f", usage: "Do not prompt for confirmation" },
  ];
}

/** "Deleted Containers:\n<id>\n…\n\n", or nothing when the list is empty. */
export function deletedSection(title: string, items: readonly string[] | null | undefined): string {
  if (!items || items.length === 0) return "";
  return `${title}:\n${items.map((i) => `${i}\n`).join("")}\n`;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export function deletedImagesSection(items: readonly ImageDeleteItem[] | null | undefined): string {
  return deletedSection(
    "Deleted Images",
    (items ?? []).map((d) => (d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`)),
  );
}

export const totalReclaimed = (bytes: number) => `Total reclaimed space: ${humanSize4(bytes)}\n`;

type Deleted<K extends string> = Record<K, string[] | null> & { SpaceReclaimed?: number };

/** docker's confirmation template (cli/command/system/prune.go), filters listed when given. */
function systemPruneWarning(all: boolean, volumes: boolean, filters: FilterMap): string {
  const warnings = [
    "all stopped containers",
    "all networks not used by at least one container",
    ...(volumes ? ["all anonymous volumes not used by at least one container"] : []),
    all ? "all images without at least one container associated to them" : "all dangling images",
    all ? "all build cache" : "unused build cache",
  ];
  let text = `WARNING! This will remove:${warnings.map((w) => `\n  - ${w}`).join("")}`;
  const shown = [...filters].flatMap(([k, vs]) => vs.map((v) => `${k}=${v}`));
  if (shown.length > 0)
    text += `\n  \n  Items to be pruned will be filtered with:${shown.map((f) => `\n  - ${f}`).join("")}`;
  return `${text}\n\nAre you sure you want to continue?`;
}

async function prune<T>(
  ctx: CommandContext,
  path: string,
  filters: FilterMap,
  extra: Record<string, string | number> = {},
): Promise<T> {
  return ctx.client().json<T>("POST", path, { query: { ...extra, filters: encodeFilters(filters) } });
}

export const systemPruneCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    { name: "all", short: "a", usage: "Remove all unused images not just dangling ones" },
    ...pruneFlags("label=<key>=<value>"),
    { name: "volumes", usage: "Prune anonymous volumes" },
  ],
  args: { none: true },
  async run(ctx, flags) {
    const filters = filterFlags(flags);
    const all = flags.bool("all");
    const volumes = flags.bool("volumes");
    if (!flags.bool("force") && !(await confirm(ctx, systemPruneWarning(all, volumes, filters)))) return 0;
    // Docker's order: containers first, so the networks, volumes and images they held are free.
    const containers = await prune<Deleted<"ContainersDeleted">>(ctx, "/containers/prune", filters);
    const networks = await prune<Deleted<"NetworksDeleted">>(ctx, "/networks/prune", filters);
    const vols = volumes ? await prune<Deleted<"VolumesDeleted">>(ctx, "/volumes/prune", filters) : undefined;
    const images = await prune<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }>(
      ctx,
      "/images/prune",
      new Map(filters).set("dangling", [all ? "false" : "true"]),
    );
    const build = await prune<Deleted<"CachesDeleted">>(ctx, "/build/prune", filters, all ? { all: 1 } : {});
    const reclaimed = [containers, vols, images, build].reduce((sum, r) => sum + (r?.SpaceReclaimed ?? 0), 0);
    const out =
      deletedSection("Deleted Containers", containers.ContainersDeleted) +
      deletedSection("Deleted Networks", networks.NetworksDeleted) +
      deletedSection("Deleted Volumes", vols?.VolumesDeleted) +
      deletedImagesSection(images.ImagesDeleted) +
      deletedSection("Deleted build cache objects", build.CachesDeleted) +
      totalReclaimed(reclaimed);
    await writeOut(ctx.streams.stdout, out);
    return 0;
  },
};

export const builderPruneCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    { name: "all", short: "a", usage: "Remove all unused build cache, not just dangling ones" },
    ...pruneFlags("until=24h"),
    {
      name: "keep-storage",
      type: "bytes",
      usage: "Amount of disk space to keep for cache",
      validate: validators.bytes,
    },
  ],
  args: { none: true },
  async run(ctx, flags) {
    const filters = filterFlags(flags);
    const all = flags.bool("all");
    // opts.MemBytes in docker's CLI: binary units ("1GB" is 1 GiB).
    const keepText = flags.string("keep-storage");
    const keep = keepText ? parseMemBytes(keepText) : 0;
    const warning = all
      ? "WARNING! This will remove all build cache. Are you sure you want to continue?"
      : "WARNING! This will remove all dangling build cache. Are you sure you want to continue?";
    if (!flags.bool("force") && !(await confirm(ctx, warning))) return 0;
    const query: Record<string, string | number> = {};
    if (all) query.all = 1;
    if (keep) query["keep-storage"] = keep;
    const report = await prune<Deleted<"CachesDeleted">>(ctx, "/build/prune", filters, query);
    await writeOut(
      ctx.streams.stdout,
      deletedSection("Deleted build cache objects", report.CachesDeleted) +
        totalReclaimed(report.SpaceReclaimed ?? 0),
    );
    return 0;
  },
};
