// container prune.
import { type Command, filterFlags, writeOut } from "../command.ts";
import { confirm, deletedSection, pruneFlags, totalReclaimed } from "./prune.ts";

const warning = "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?";

export const containerPruneCommand: Command = {
  usage: "[OPTIONS]",
  flags: pruneFlags("until=<timestamp>"),
  args: { none: true },
  async run(ctx, flags) {
    const filters = filterFlags(flags);
    // Declining is not an error: docker exits 0 without a word.
    if (!flags.bool("force") && !(await confirm(ctx, warning))) return 0;
    const report = await ctx.client().containerPrune(filters);
    const deleted = report.ContainersDeleted ?? [];
    await writeOut(
      ctx.streams.stdout,
      deletedSection("Deleted Containers", deleted) +
        totalReclaimed(deleted.length > 0 ? report.SpaceReclaimed : 0),
    );
    return 0;
  },
};
