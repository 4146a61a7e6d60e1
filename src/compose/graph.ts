// The dependency graph of services (depends_on, links, volumes_from, network_mode: service:…):
// cycles named, services visited in dependency order with independent ones in parallel.
import type { Project, ServiceConfig } from "./model.ts";

export class DependencyCycleError extends Error {}

/** The services a service needs started first. */
export function dependenciesOf(service: ServiceConfig): string[] {
  const deps = new Set(Object.keys(service.depends_on ?? {}));
  for (const link of service.links ?? []) deps.add(link.split(":")[0] as string);
  for (const from of service.volumes_from ?? []) {
    if (!from.startsWith("container:")) deps.add(from.split(":")[0] as string);
  }
  const mode = /^service:(.+)$/.exec(service.network_mode ?? "");
  if (mode) deps.add(mode[1] as string);
  return [...deps];
}

/** Edges limited to the services of the project; throws on a cycle, naming it. */
export function dependencyGraph(services: Record<string, ServiceConfig>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [name, svc] of Object.entries(services)) {
    graph.set(
      name,
      dependenciesOf(svc).filter((d) => d in services),
    );
  }
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new DependencyCycleError(`dependency cycle detected: ${cycle.join(" -> ")}`);
    }
    state.set(name, "visiting");
    for (const d of graph.get(name) ?? []) visit(d, [...path, name]);
    state.set(name, "done");
  };
  for (const name of [...graph.keys()].sort()) visit(name, []);
  return graph;
}

/** The named services plus everything they depend on, transitively. */
export function withDependencies(project: Project, names: readonly string[]): string[] {
  const out = new Set<string>();
  const add = (n: string) => {
    if (out.has(n) || !project.services[n]) return;
    out.add(n);
    for (const d of dependenciesOf(project.services[n] as ServiceConfig)) add(d);
  };
  for (const n of names) add(n);
  return [...out];
}

/**
 * The named services plus, transitively, the services that declare `depends_on: {<it>:
 * {restart: true}}`: they are restarted when it is (compose restart, and up recreating it).
 */
export function withRestartDependents(project: Project, names: readonly string[]): string[] {
  const out = new Set<string>();
  const add = (n: string) => {
    if (out.has(n)) return;
    out.add(n);
    for (const [other, svc] of Object.entries(project.services)) {
      if (svc.depends_on?.[n]?.restart) add(other);
    }
  };
  for (const n of names) add(n);
  return [...out];
}

/**
 * Runs fn for every service once the services it depends on are done (reverse: once the
 * services depending on it are done, for stop/down). Independent services run in parallel.
 * The first failure is thrown after the running ones settle; services not yet started are
 * skipped.
 */
export async function inDependencyOrder(
  graph: Map<string, string[]>,
  only: ReadonlySet<string>,
  fn: (service: string) => Promise<void>,
  reverse = false,
): Promise<void> {
  const edges = new Map<string, string[]>();
  for (const name of only) edges.set(name, []);
  for (const [name, deps] of graph) {
    if (!only.has(name)) continue;
    for (const d of deps) {
      if (!only.has(d)) continue;
      if (reverse) edges.get(d)?.push(name);
      else edges.get(name)?.push(d);
    }
  }
  const done = new Map<string, Promise<void>>();
  let failure: unknown;
  const run = (name: string): Promise<void> => {
    let p = done.get(name);
    if (p) return p;
    p = (async () => {
      await Promise.all((edges.get(name) ?? []).map(run));
      if (failure !== undefined) return;
      try {
        await fn(name);
      } catch (err) {
        failure ??= err;
        throw err;
      }
    })();
    done.set(name, p);
    return p;
  };
  await Promise.allSettled([...edges.keys()].sort().map(run));
  if (failure !== undefined) throw failure;
}
