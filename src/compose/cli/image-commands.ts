// compose build / pull / push / images.
import { StatusError, writeOut } from "../../cli/command.ts";
import { humanSize, relativeTime } from "../../cli/format/humanize.ts";
import { formatRows } from "../../cli/format/table.ts";
import { buildImage, pullImage, pushImage } from "../images.ts";
import type { Project, ServiceConfig } from "../model.ts";
import { projectContainers } from "../observe.ts";
import type { ComposeCommand } from "./command.ts";
import type { ComposeContext } from "./context.ts";

function selected(all: Record<string, unknown>, args: string[]): string[] {
  for (const s of args) if (!(s in all)) throw new StatusError(`no such service: ${s}`, 1);
  return args.length > 0 ? args : Object.keys(all);
}

/** pull and push: one registry transfer per service image, docker compose's progress around it. */
async function transferImages(
  ctx: ComposeContext,
  args: string[],
  opts: {
    /** the service's image when this command moves it */
    imageOf(project: Project, service: string, svc: ServiceConfig): string | undefined;
    doing: string;
    done: string;
    /** printed when a transfer fails (pull says "Error"; push says nothing) */
    failed?: string;
    ignoreFailures: boolean;
    transfer(image: string): Promise<void>;
  },
): Promise<number> {
  const project = await ctx.project(args);
  for (const s of selected(project.services, args)) {
    const svc = project.services[s];
    const image = svc && opts.imageOf(project, s, svc);
    if (!image) continue;
    ctx.progress.event("Image", image, opts.doing);
    try {
      await opts.transfer(image);
      ctx.progress.event("Image", image, opts.done);
    } catch (err) {
      if (opts.failed) ctx.progress.event("Image", image, opts.failed);
      if (!opts.ignoreFailures) throw err;
    }
  }
  return 0;
}

export const buildCommand: ComposeCommand = {
  name: "build",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Build or rebuild services",
  flags: [
    { name: "no-cache", usage: "Do not use cache when building the image" },
    { name: "pull", usage: "Always attempt to pull a newer version of the image" },
    { name: "quiet", short: "q", usage: "Don't print anything to STDOUT" },
  ],
  async run(ctx, flags, args) {
    const project = await ctx.project(args);
    for (const s of selected(project.services, args)) {
      const svc = project.services[s];
      if (!svc?.build) continue;
      ctx.progress.event("Service", s, "Building");
      await buildImage(
        ctx.engine(),
        project,
        s,
        svc,
        (l) => (flags.bool("quiet") ? undefined : ctx.cli.streams.stdout.write(l)),
        flags.bool("no-cache"),
      );
      ctx.progress.event("Service", s, "Built");
    }
    return 0;
  },
};

export const pullCommand: ComposeCommand = {
  name: "pull",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Pull service images",
  flags: [
    { name: "ignore-pull-failures", usage: "Pull what it can and ignores images with pull failures" },
    { name: "ignore-buildable", usage: "Ignore images that can be built" },
    { name: "quiet", short: "q", usage: "Pull without printing progress information" },
  ],
  run(ctx, flags, args) {
    return transferImages(ctx, args, {
      imageOf: (project, s, svc) => {
        if (!svc.image || (svc.build && flags.bool("ignore-buildable"))) return undefined;
        if (svc.pull_policy === "build" || (svc.build && svc.image === `${project.name}-${s}`))
          return undefined;
        return svc.image;
      },
      doing: "Pulling",
      done: "Pulled",
      failed: "Error",
      ignoreFailures: flags.bool("ignore-pull-failures"),
      transfer: (image) => pullImage(ctx.engine(), image),
    });
  },
};

export const pushCommand: ComposeCommand = {
  name: "push",
  usage: "[OPTIONS] [SERVICE...]",
  description: "Push service images",
  flags: [
    { name: "ignore-push-failures", usage: "Push what it can and ignores images with push failures" },
    { name: "quiet", short: "q", usage: "Push without printing progress information" },
  ],
  run(ctx, flags, args) {
    return transferImages(ctx, args, {
      imageOf: (_project, _s, svc) => (svc.build ? svc.image : undefined),
      doing: "Pushing",
      done: "Pushed",
      ignoreFailures: flags.bool("ignore-push-failures"),
      transfer: (image) => pushImage(ctx.engine(), image),
    });
  },
};

export const imagesCommand: ComposeCommand = {
  name: "images",
  usage: "[OPTIONS] [SERVICE...]",
  description: "List images used by the created containers",
  flags: [
    { name: "quiet", short: "q", usage: "Only display IDs" },
    { name: "format", type: "string", usage: "Format the output. Values: [table | json]", default: "table" },
  ],
  async run(ctx, flags, args) {
    const name = await ctx.projectName();
    const engine = ctx.engine();
    const containers = await projectContainers(engine, name, { services: args });
    const now = new Date();
    const rows = [];
    for (const c of containers) {
      const img = await engine.client.imageInspect(c.summary.ImageID || c.summary.Image);
      const tagged = img.RepoTags?.[0] ?? "<none>:<none>";
      const colon = tagged.lastIndexOf(":");
      rows.push({
        ContainerName: c.name,
        Repository: colon > 0 ? tagged.slice(0, colon) : tagged,
        Tag: colon > 0 ? tagged.slice(colon + 1) : "",
        ID: img.Id.replace(/^sha256:/, "").slice(0, 12),
        Size: humanSize(img.Size ?? 0),
        Created: relativeTime(Math.floor(Date.parse(img.Created ?? "") / 1000), now),
      });
    }
    const table = "table {{.ContainerName}}\t{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}";
    const headers = {
      ContainerName: "CONTAINER",
      Repository: "REPOSITORY",
      Tag: "TAG",
      ID: "IMAGE ID",
      Size: "SIZE",
      Created: "CREATED",
    };
    await writeOut(
      ctx.cli.streams.stdout,
      formatRows(flags.string("format"), table, headers, rows, { quiet: flags.bool("quiet") }),
    );
    return 0;
  },
};
