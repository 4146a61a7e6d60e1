// tag and rmi.
import { type Command, describeError, StatusError, writeOut } from "../command.ts";
import { familiarName, parseNormalizedNamed, withDefaultTag } from "../reference.ts";

export const tagCommand: Command = {
  usage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
  flags: [],
  args: { exact: 2 },
  async run(ctx, _flags, args) {
    const [source, target] = args as [string, string];
    let ref: ReturnType<typeof parseNormalizedNamed>;
    try {
      ref = parseNormalizedNamed(target);
    } catch (err) {
      throw new Error(
        `Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ${(err as Error).message}`,
      );
    }
    if (ref.digest) throw new Error("refusing to create a tag with a digest reference");
    const tagged = withDefaultTag(ref);
    await ctx.client().imageTag(source, familiarName(tagged), tagged.tag);
    return 0;
  },
};

export const rmiCommand: Command = {
  usage: "[OPTIONS] IMAGE [IMAGE...]",
  flags: [
    { name: "force", short: "f", usage: "Force removal of the image" },
    { name: "no-prune", usage: "Do not delete untagged parents" },
    {
      name: "platform",
      type: "strings",
      usage:
        'Remove only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")',
    },
  ],
  args: { min: 1 },
  async run(ctx, flags, args) {
    const errors: string[] = [];
    for (const name of args) {
      try {
        const deleted = await ctx
          .client()
          .imageRemove(name, { force: flags.bool("force"), noPrune: flags.bool("no-prune") });
        let out = "";
        for (const d of deleted ?? []) {
          if (d.Deleted) out += `Deleted: ${d.Deleted}\n`;
          else if (d.Untagged) out += `Untagged: ${d.Untagged}\n`;
        }
        await writeOut(ctx.streams.stdout, out);
      } catch (err) {
        errors.push(describeError(err));
      }
    }
    if (errors.length > 0) throw new StatusError(errors.join("\n"), 1);
    return 0;
  },
};
