// container prune.
import { createInterface } from "node:readline";
import { type Command, type CommandContext, filterFlags, writeOut } from "../command.ts";
import { validators } from "../container-flags.ts";
import { humanSize4 } from "../units.ts";

const warning = "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?";

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

export const containerPruneCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    {
      name: "filter",
      type: "filter",
      usage: 'Provide filter values (e.g. "until=<timestamp>")',
      validate: validators.filter,
    },
    { name: "force", short: "f", usage: "Do not prompt for confirmation" },
  ],
  args: { none: true },
  async run(ctx, flags) {
    const filters = filterFlags(flags);
    // Declining is not an error: docker exits 0 without a word.
    if (!flags.bool("force") && !(await confirm(ctx, warning))) return 0;
    const report = await ctx.client().containerPrune(filters);
    let out = "";
    let reclaimed = 0;
    if ((report.ContainersDeleted ?? []).length > 0) {
      out += `Deleted Containers:\n${(report.ContainersDeleted ?? []).map((id) => `${id}\n`).join("")}\n`;
      reclaimed = report.SpaceReclaimed;
    }
    out += `Total reclaimed space: ${humanSize4(reclaimed)}\n`;
    await writeOut(ctx.streams.stdout, out);
    return 0;
  },
};
