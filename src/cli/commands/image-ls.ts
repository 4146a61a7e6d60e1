// images / image ls.
import type { ImageSummary } from "../../client/types.ts";
import { type Command, filterFlags, writeOut } from "../command.ts";
import { formatUsage, validators } from "../container-flags.ts";
import { humanSize, relativeTime, truncateId } from "../format/humanize.ts";
import { familiarName, parseNormalizedNamed } from "../reference.ts";
import { goTimeString } from "../timestamps.ts";
import { humanSize4 } from "../units.ts";

export const imagesHeaders: Readonly<Record<string, string>> = {
  ID: "IMAGE ID",
  Repository: "REPOSITORY",
  Tag: "TAG",
  Digest: "DIGEST",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  Size: "SIZE",
  Containers: "CONTAINERS",
  VirtualSize: "VIRTUAL SIZE",
  SharedSize: "SHARED SIZE",
  UniqueSize: "UNIQUE SIZE",
};

const tableFormat = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
const digestTableFormat =
  "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return (
    tags.length === 1 && tags[0] === "<none>:<none>" && digests.length === 1 && digests[0] === "<none>@<none>"
  );
}

/** (repo, tag, digest) triples of an image, as docker's imageFormatTaggedAndDigest lists them. */
export function imageNames(img: ImageSummary, showDigests: boolean): Array<[string, string, string]> {
  if (isDangling(img)) return [["<none>", "<none>", "<none>"]];
  const repoTags = new Map<string, string[]>();
  const repoDigests = new Map<string, string[]>();
  for (const t of img.RepoTags ?? []) {
    try {
      const ref = parseNormalizedNamed(t);
      if (!ref.tag) continue;
      const name = familiarName(ref);
      repoTags.set(name, [...(repoTags.get(name) ?? []), ref.tag]);
    } catch {
      // not a reference (e.g. "<none>:<none>")
    }
  }
  for (const d of img.RepoDigests ?? []) {
    try {
      const ref = parseNormalizedNamed(d);
      if (!ref.digest) continue;
      const name = familiarName(ref);
      repoDigests.set(name, [...(repoDigests.get(name) ?? []), ref.digest]);
    } catch {
      // not a reference
    }
  }
  const out: Array<[string, string, string]> = [];
  for (const [repo, tags] of repoTags) {
    const digests = showDigests ? (repoDigests.get(repo) ?? []) : [];
    repoDigests.delete(repo);
    for (const tag of tags) {
      if (digests.length === 0) out.push([repo, tag, "<none>"]);
      else for (const d of digests) out.push([repo, tag, d]);
    }
  }
  for (const [repo, digests] of repoDigests) {
    if (showDigests) for (const d of digests) out.push([repo, "<none>", d]);
    else out.push([repo, "<none>", ""]);
  }
  return out;
}

/** One row of `docker images` (formatter's imageContext). */
export function imageRow(
  img: ImageSummary,
  repo: string,
  tag: string,
  digest: string,
  trunc: boolean,
  now: Date,
): Record<string, unknown> {
  const labels = img.Labels ?? {};
  return {
    Containers: img.Containers === -1 || img.Containers === undefined ? "N/A" : String(img.Containers),
    CreatedAt: goTimeString(img.Created),
    CreatedSince: relativeTime(img.Created, now),
    Digest: digest,
    ID: trunc ? truncateId(img.Id) : img.Id,
    Repository: repo,
    SharedSize: img.SharedSize === -1 ? "N/A" : humanSize4(img.SharedSize),
    Size: humanSize(img.Size),
    Tag: tag,
    UniqueSize: img.SharedSize === -1 ? "N/A" : humanSize4(img.Size - img.SharedSize),
    VirtualSize: humanSize4(img.VirtualSize ?? img.Size),
    Label: (name: unknown) => labels[String(name)] ?? "",
  };
}

export const imagesCommand: Command = {
  usage: "[OPTIONS] [REPOSITORY[:TAG]]",
  flags: [
    { name: "all", short: "a", usage: "Show all images (default hides intermediate images)" },
    { name: "digests", usage: "Show digests" },
    {
      name: "filter",
      short: "f",
      type: "filter",
      usage: "Filter output based on conditions provided",
      validate: validators.filter,
    },
    { name: "format", type: "string", usage: formatUsage },
    { name: "no-trunc", usage: "Don't truncate output" },
    { name: "quiet", short: "q", usage: "Only show image IDs" },
    { name: "tree", usage: "List multi-platform images as a tree (EXPERIMENTAL)" },
  ],
  args: { max: 1 },
  async run(ctx, flags, args) {
    const filters = filterFlags(flags);
    if (flags.bool("tree")) throw new Error("--tree is not supported by wharf yet");
    if (args[0]) filters.set("reference", [...(filters.get("reference") ?? []), args[0]]);
    const showDigests = flags.bool("digests");
    const images = await ctx.client().imageList({ all: flags.bool("all"), filters });
    const trunc = !flags.bool("no-trunc");
    const now = new Date();
    const rows = images.flatMap((img) =>
      imageNames(img, showDigests).map(([repo, tag, digest]) => imageRow(img, repo, tag, digest, trunc, now)),
    );
    const format = flags.string("format");
    const table = showDigests ? digestTableFormat : tableFormat;
    const source = format === "table" && showDigests ? digestTableFormat : format;
    const { formatRows } = await import("../format/table.ts");
    await writeOut(
      ctx.streams.stdout,
      formatRows(source, table, imagesHeaders, rows, { quiet: flags.bool("quiet") }),
    );
    return 0;
  },
};
