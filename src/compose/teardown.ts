// `down` and `stop`: containers stopped in reverse dependency order (dependents first), then
// removed, then the project's networks — and named volumes only with -v. Only objects carrying
// this project's label are touched.
import { ApiError, isNotFound } from "../client/errors.ts";
import { type ComposeEngine, UnsupportedApiError } from "./engine.ts";
import { dependencyGraph, inDependencyOrder } from "./graph.ts";
import type { Project } from "./model.ts";
import { type ProjectContainer, projectContainers } from "./observe.ts";
import type { Progress } from "./progress.ts";

export interface DownOptions {
  removeOrphans?: boolean;
  volumes?: boolean;
  /** --rmi all | local */
  rmi?: string;
  timeout?: number;
  /** Only these services' containers; networks and volumes then stay. */
  services?: readonly string[];
}

const isUp = (c: ProjectContainer) =>
  c.state === "running" || c.state === "paused" || c.state === "restarting";

/** Stops the given containers, dependents before their dependencies. */
export async function stopContainers(
  engine: ComposeEngine,
  project: Project | undefined,
  containers: readonly ProjectContainer[],
  timeout: number | undefined,
  progress: Progress,
): Promise<void> {
  const byService = new Map<string, ProjectContainer[]>();
  for (const c of containers) byService.set(c.service, [...(byService.get(c.service) ?? []), c]);
  const graph = project ? dependencyGraph(project.services) : new Map<string, string[]>();
  await inDependencyOrder(
    graph,
    new Set(byService.keys()),
    async (service) => {
      await Promise.all(
        (byService.get(service) ?? []).filter(isUp).map(async (c) => {
          progress.event("Container", c.name, "Stopping");
          await engine.client.containerStop(c.id, { timeout });
          progress.event("Container", c.name, "Stopped");
        }),
      );
    },
    true,
  );
}

export async function removeContainers(
  engine: ComposeEngine,
  containers: readonly ProjectContainer[],
  volumes: boolean,
  progress: Progress,
): Promise<void> {
  await Promise.all(
    containers.map(async (c) => {
      progress.event("Container", c.name, "Removing");
      try {
        await engine.client.containerRemove(c.id, { force: true, volumes });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      progress.event("Container", c.name, "Removed");
    }),
  );
}

/** Containers of this project whose service is not in the model. */
export function orphans(
  project: Project | undefined,
  containers: readonly ProjectContainer[],
): ProjectContainer[] {
  if (!project) return [];
  return containers.filter((c) => !project.services[c.service] && !project.disabledServices[c.service]);
}

export async function down(
  engine: ComposeEngine,
  projectName: string,
  project: Project | undefined,
  opts: DownOptions,
  progress: Progress,
): Promise<void> {
  const all = await projectContainers(engine, projectName, { oneoff: "any" });
  const orphaned = orphans(project, all);
  if (orphaned.length > 0 && !opts.removeOrphans) {
    progress.warn(
      `Found orphan containers ([${orphaned.map((c) => c.name).join(" ")}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
    );
  }
  const only = opts.services && opts.services.length > 0 ? opts.services : undefined;
  const targets = (opts.removeOrphans ? all : all.filter((c) => !orphaned.includes(c))).filter(
    (c) => !only || only.includes(c.service),
  );
  await stopContainers(engine, project, targets, opts.timeout, progress);
  await removeContainers(engine, targets, opts.volumes ?? false, progress);
  if (only) return;

  // Networks: the ones the model names (not external), else the ones labelled for the project.
  const networkNames = project
    ? Object.values(project.networks)
        .filter((n) => !n.external)
        .map((n) => n.name)
    : undefined;
  try {
    const labelled = await engine.networkList(
      new Map([["label", [`com.docker.compose.project=${projectName}`]]]),
    );
    const names = networkNames ?? labelled.map((n) => n.Name);
    for (const name of names) {
      const found = labelled.find((n) => n.Name === name);
      if (!found) continue; // never created, or not this project's
      progress.event("Network", name, "Removing");
      try {
        await engine.networkRemove(found.Id);
        progress.event("Network", name, "Removed");
      } catch (err) {
        if (!isNotFound(err)) {
          progress.event("Network", name, "Error");
          throw err;
        }
      }
    }
  } catch (err) {
    if (!(err instanceof UnsupportedApiError)) throw err;
  }

  if (opts.volumes) {
    try {
      const labelled =
        (await engine.volumeList(new Map([["label", [`com.docker.compose.project=${projectName}`]]])))
          .Volumes ?? [];
      const declared = project
        ? Object.values(project.volumes)
            .filter((v) => !v.external)
            .map((v) => v.name)
        : undefined;
      for (const v of labelled) {
        if (declared && !declared.includes(v.Name)) continue;
        progress.event("Volume", v.Name, "Removing");
        try {
          await engine.volumeRemove(v.Name);
          progress.event("Volume", v.Name, "Removed");
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        }
      }
    } catch (err) {
      if (!(err instanceof UnsupportedApiError)) throw err;
    }
  }

  if (opts.rmi && project) {
    const images = new Set<string>();
    for (const [name, svc] of Object.entries(project.services)) {
      const isDefaultName = svc.image === `${project.name}-${name}`;
      if (opts.rmi === "all" || (opts.rmi === "local" && isDefaultName && svc.build))
        images.add(svc.image as string);
    }
    for (const image of images) {
      progress.event("Image", image, "Removing");
      try {
        await engine.client.imageRemove(image);
        progress.event("Image", image, "Removed");
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
