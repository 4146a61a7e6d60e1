// Service images: pulled or built before containers are created, following pull_policy and
// the --pull / --build / --no-build flags. Builds send the context as a tar to POST /build.
// (@balena/dockerignore is CommonJS: its typings make the default import the module, whose
// `default` is the function at run time too.)
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import dockerignoreModule from "@balena/dockerignore";
import { create as tarCreate } from "tar";
import { apiTag, familiarName, parseNormalizedNamed } from "../cli/reference.ts";
import { isNotFound } from "../client/errors.ts";
import type { JsonMessage } from "../client/types.ts";
import type { ComposeEngine } from "./engine.ts";
import type { Project, ServiceConfig } from "./model.ts";
import type { Progress } from "./progress.ts";

export interface ImageOptions {
  /** --pull: always, missing, never (default: the service's pull_policy). */
  pull?: string;
  /** --build: build before starting, even when the image exists. */
  build?: boolean;
  /** --no-build: never build; a missing image is an error. */
  noBuild?: boolean;
}

async function drain(stream: AsyncGenerator<JsonMessage>, onLine?: (m: JsonMessage) => void): Promise<void> {
  for await (const m of stream) {
    if (m.error || m.errorDetail) throw new Error(m.errorDetail?.message ?? m.error);
    onLine?.(m);
  }
}

export async function imageExists(engine: ComposeEngine, image: string): Promise<boolean> {
  try {
    await engine.client.imageInspect(image);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export async function pullImage(engine: ComposeEngine, image: string): Promise<void> {
  const ref = parseNormalizedNamed(image);
  await drain(await engine.client.imagePull(familiarName(ref), { tag: apiTag(ref) }));
}

export async function pushImage(engine: ComposeEngine, image: string): Promise<void> {
  const ref = parseNormalizedNamed(image);
  await drain(await engine.push(familiarName(ref), apiTag(ref)));
}

/** The build context as a tar stream, .dockerignore applied (the Dockerfile always kept). */
function contextTar(context: string, dockerfile: string): Readable {
  const ignoreFile = join(context, ".dockerignore");
  const ig = dockerignoreModule.default({ ignorecase: false });
  if (existsSync(ignoreFile)) ig.add(readFileSync(ignoreFile, "utf8").split(/\r?\n/));
  const keep = new Set([dockerfile, ".dockerignore"]);
  // tar's Pack is a minipass stream; Readable.from makes it the Node stream the transport pipes.
  const pack = tarCreate(
    {
      cwd: context,
      portable: true,
      filter: (path) => {
        const rel = relative(context, join(context, path));
        return rel === "" || keep.has(rel) || !ig.ignores(rel);
      },
    },
    ["."],
  );
  return Readable.from(pack);
}

export async function buildImage(
  engine: ComposeEngine,
  project: Project,
  service: string,
  svc: ServiceConfig,
  out: (line: string) => void,
  noCache = false,
): Promise<void> {
  const b = svc.build;
  if (!b) throw new Error(`service "${service}" has no build section`);
  if (/^(https?|git):/.test(b.context))
    throw new Error(`service "${service}": remote build contexts are not supported`);
  const dockerfile = b.dockerfile ?? "Dockerfile";
  const args = Object.fromEntries(
    Object.entries(b.args ?? {}).map(([k, v]) => [k, v ?? project.environment[k] ?? ""]),
  );
  const stream = await engine.build(contextTar(b.context, dockerfile), {
    t: svc.image,
    dockerfile,
    target: b.target,
    buildargs: JSON.stringify(args),
    labels: JSON.stringify(b.labels ?? {}),
    nocache: noCache || b.no_cache || undefined,
    pull: b.pull || undefined,
    networkmode: b.network,
    rm: true,
  });
  await drain(stream, (m) => {
    if (m.stream) out(m.stream);
  });
}

/** Makes every service's image present, pulling and building as the policies say. */
export async function ensureImages(
  engine: ComposeEngine,
  project: Project,
  services: readonly string[],
  opts: ImageOptions,
  progress: Progress,
  buildOutput: (line: string) => void,
): Promise<void> {
  for (const name of services) {
    const svc = project.services[name] as ServiceConfig;
    const image = svc.image as string;
    const policy = opts.pull ?? svc.pull_policy ?? "missing";
    if (
      svc.build &&
      !opts.noBuild &&
      (opts.build || policy === "build" || !(await imageExists(engine, image)))
    ) {
      progress.event("Service", name, "Building");
      await buildImage(engine, project, name, svc, buildOutput);
      progress.event("Service", name, "Built");
      continue;
    }
    const exists = await imageExists(engine, image);
    if (policy === "always" || (!exists && policy !== "never")) {
      if (svc.build && !exists && opts.noBuild)
        throw new Error(`image ${image} for service ${name} is missing and --no-build was given`);
      progress.event("Image", image, "Pulling");
      try {
        await pullImage(engine, image);
      } catch (err) {
        progress.event("Image", image, "Error");
        throw new Error(`pull access denied or image not available for ${image}: ${(err as Error).message}`);
      }
      progress.event("Image", image, "Pulled");
    } else if (!exists) {
      throw new Error(`No such image: ${image} (pull_policy ${policy})`);
    }
  }
}
