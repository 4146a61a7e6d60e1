// `up`: the project's containers brought to the model. Services are visited in dependency
// order (independent ones in parallel); a service waits for its dependencies' conditions;
// only containers whose config hash changed are recreated; scale adds or removes replicas.
import { ApiError } from "../client/errors.ts";
import { type ConvertContext, containerName, createRequest } from "./convert.ts";
import type { ComposeEngine } from "./engine.ts";
import { dependencyGraph, inDependencyOrder } from "./graph.ts";
import { serviceConfigHash } from "./hash.ts";
import { injectedFiles, injectFiles } from "./inject.ts";
import type { Project, ServiceConfig, ServiceDependency } from "./model.ts";
import { type ProjectContainer, projectContainers } from "./observe.ts";
import type { Progress } from "./progress.ts";
import { ensureNetworks, ensureVolumes } from "./resources.ts";

export interface ConvergeOptions {
  /** Services to bring up (default: all); their dependencies come too unless noDeps. */
  services: readonly string[];
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  /** --scale service=n */
  scale?: Record<string, number>;
  /** -t: stop timeout (seconds) when recreating. */
  timeout?: number;
  /** Don't start the containers (create only). */
  noStart?: boolean;
  /** Called for every container of the run before it starts, or when it already runs (foreground up attaches here). */
  beforeStart?: (c: { id: string; name: string; service: string }) => Promise<void>;
}

export class DependencyError extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function desiredReplicas(svc: ServiceConfig, override: number | undefined): number {
  return override ?? svc.scale ?? svc.deploy?.replicas ?? 1;
}

/** Waits until the container reports healthy; fails once it is unhealthy or gone. */
export async function waitHealthy(
  engine: ComposeEngine,
  c: { id: string; name: string },
  deadline?: number,
  prefix = "dependency failed to start: ",
): Promise<void> {
  for (;;) {
    const info = await engine.client.containerInspect(c.id);
    const health = info.State.Health?.Status;
    if (!info.Config.Healthcheck && health === undefined) {
      throw new DependencyError(`container ${c.name} has no healthcheck configured`);
    }
    if (health === "healthy") return;
    if (health === "unhealthy") throw new DependencyError(`${prefix}container ${c.name} is unhealthy`);
    if (!info.State.Running)
      throw new DependencyError(`${prefix}container ${c.name} exited (${info.State.ExitCode})`);
    if (deadline !== undefined && Date.now() > deadline) {
      throw new DependencyError(`timeout waiting for container ${c.name} to be healthy`);
    }
    await sleep(250);
  }
}

async function waitCompleted(
  engine: ComposeEngine,
  service: string,
  c: { id: string; name: string },
): Promise<void> {
  const wait = await engine.client.containerWait(c.id, "not-running");
  const res = await wait.result;
  if (res.StatusCode !== 0) {
    throw new DependencyError(`service "${service}" didn't complete successfully: exit ${res.StatusCode}`);
  }
}

async function waitCondition(
  engine: ComposeEngine,
  project: Project,
  service: string,
  dep: string,
  cond: ServiceDependency,
  progress: Progress,
): Promise<void> {
  if (!project.services[dep]) return; // an optional dependency that is not part of this run
  const containers = await projectContainers(engine, project.name, { services: [dep] });
  try {
    if (containers.length === 0)
      throw new DependencyError(`service "${service}" depends on "${dep}", which has no container`);
    for (const c of containers) {
      if (cond.condition === "service_healthy") {
        progress.event("Container", c.name, "Waiting");
        await waitHealthy(engine, c);
        progress.event("Container", c.name, "Healthy");
      } else if (cond.condition === "service_completed_successfully") {
        progress.event("Container", c.name, "Waiting");
        await waitCompleted(engine, dep, c);
        progress.event("Container", c.name, "Exited");
      }
    }
  } catch (err) {
    if (!cond.required) {
      progress.warn(`optional dependency "${dep}" of "${service}" failed: ${(err as Error).message}`);
      return;
    }
    throw err;
  }
}

async function stopAndRemove(
  engine: ComposeEngine,
  c: ProjectContainer,
  timeout: number | undefined,
  progress: Progress,
): Promise<void> {
  if (c.state === "running" || c.state === "paused" || c.state === "restarting") {
    progress.event("Container", c.name, "Stopping");
    await engine.client.containerStop(c.id, { timeout });
    progress.event("Container", c.name, "Stopped");
  }
  progress.event("Container", c.name, "Removing");
  await engine.client.containerRemove(c.id, { force: true });
  progress.event("Container", c.name, "Removed");
}

/** Brings the selected services (and, unless noDeps, their dependencies) to the model. */
export async function converge(
  engine: ComposeEngine,
  project: Project,
  opts: ConvergeOptions,
  progress: Progress,
): Promise<void> {
  const graph = dependencyGraph(project.services);
  const selected = new Set<string>();
  const add = (s: string) => {
    if (selected.has(s)) return;
    selected.add(s);
    if (!opts.noDeps) for (const d of graph.get(s) ?? []) add(d);
  };
  for (const s of opts.services.length > 0 ? opts.services : Object.keys(project.services)) add(s);
  const names = [...selected];

  const networks = await ensureNetworks(engine, project, names, progress);
  if (!networks && names.some((s) => !project.services[s]?.network_mode)) {
    progress.warn(
      "the daemon has no networks API: services run on its default network, without the project network and service-name DNS",
    );
  }
  await ensureVolumes(engine, project, names, progress);

  const existing = await projectContainers(engine, project.name);
  const firstContainer = new Map<string, string>();
  for (const c of existing) if (!firstContainer.has(c.service)) firstContainer.set(c.service, c.name);

  // Services whose containers this run recreated (or restarted): their `restart: true`
  // dependents are restarted in turn.
  const renewed = new Set<string>();
  await inDependencyOrder(graph, selected, async (service) => {
    const svc = project.services[service] as ServiceConfig;
    const restartForDeps = Object.entries(svc.depends_on ?? {}).some(
      ([dep, cond]) => cond.restart && renewed.has(dep),
    );
    for (const [dep, cond] of Object.entries(svc.depends_on ?? {})) {
      if (opts.noDeps && !selected.has(dep)) continue;
      await waitCondition(engine, project, service, dep, cond, progress);
    }
    const hash = serviceConfigHash(svc);
    const ctx: ConvertContext = {
      project,
      networks,
      configHash: hash,
      oneoff: false,
      containerOf: (s) => firstContainer.get(s) ?? containerName(project, s, 1),
    };
    const want = desiredReplicas(svc, opts.scale?.[service]);
    if (svc.container_name && want > 1) {
      throw new Error(
        `service "${service}" has container_name set and cannot be scaled to ${want} containers`,
      );
    }
    const mine = existing.filter((c) => c.service === service && !c.oneoff);
    // Scale down: the highest numbers go first.
    for (const c of mine.filter((c) => c.number > want || c.number < 1).sort((a, b) => b.number - a.number)) {
      await stopAndRemove(engine, c, opts.timeout, progress);
    }
    const starts: Array<Promise<void>> = [];
    for (let n = 1; n <= want; n++) {
      const current = mine.find((c) => c.number === n);
      starts.push(
        (async () => {
          let id: string;
          let name: string;
          const recreate =
            current && (opts.forceRecreate || (!opts.noRecreate && current.configHash !== hash));
          if (current && !recreate) {
            id = current.id;
            name = current.name;
            if (current.state === "running") {
              // Restarted before a foreground up attaches, so its log stream is not cut.
              if (restartForDeps) {
                progress.event("Container", name, "Restarting");
                await engine.client.containerRestart(id, { timeout: opts.timeout });
                progress.event("Container", name, "Started");
                renewed.add(service);
              }
              await opts.beforeStart?.({ id, name, service });
              if (!restartForDeps) progress.event("Container", name, "Running");
              return;
            }
          } else {
            if (current) {
              progress.event("Container", current.name, "Recreate");
              await stopAndRemove(engine, current, opts.timeout, progress);
              renewed.add(service);
            }
            name = containerName(project, service, n);
            progress.event("Container", name, "Creating");
            const body = createRequest(ctx, service, n);
            const files = injectedFiles(project, svc);
            id = (await engine.client.containerCreate(body, { name, platform: svc.platform })).Id;
            await injectFiles(engine, id, files);
            progress.event("Container", name, "Created");
          }
          if (!firstContainer.has(service) || n === 1) firstContainer.set(service, name);
          if (opts.noStart) return;
          await opts.beforeStart?.({ id, name, service });
          progress.event("Container", name, "Starting");
          try {
            await engine.client.containerStart(id);
          } catch (err) {
            if (err instanceof ApiError) throw new Error(`Error response from daemon: ${err.message}`);
            throw err;
          }
          progress.event("Container", name, "Started");
        })(),
      );
    }
    const results = await Promise.allSettled(starts);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  });
}

/** --wait: every container of the services running, and healthy when it has a health check. */
export async function waitRunningOrHealthy(
  engine: ComposeEngine,
  project: Project,
  services: readonly string[],
  timeoutSeconds: number | undefined,
  progress: Progress,
): Promise<void> {
  const deadline = timeoutSeconds ? Date.now() + timeoutSeconds * 1000 : undefined;
  const containers = await projectContainers(engine, project.name, { services });
  await Promise.all(
    containers.map(async (c) => {
      progress.event("Container", c.name, "Waiting");
      const info = await engine.client.containerInspect(c.id);
      if (info.Config.Healthcheck && info.Config.Healthcheck.Test?.[0] !== "NONE") {
        await waitHealthy(engine, c, deadline, "");
        progress.event("Container", c.name, "Healthy");
      } else if (!info.State.Running) {
        throw new Error(`container ${c.name} exited (${info.State.ExitCode})`);
      } else {
        progress.event("Container", c.name, "Running");
      }
    }),
  );
}
