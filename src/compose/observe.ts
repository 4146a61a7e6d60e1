// What a project has on the daemon now, found by compose labels: its containers by service
// and replica number.
import type { ContainerSummary } from "../wire/containers.ts";
import type { ComposeEngine } from "./engine.ts";
import * as L from "./labels.ts";

export interface ProjectContainer {
  id: string;
  name: string;
  service: string;
  number: number;
  oneoff: boolean;
  state: string;
  configHash: string;
  summary: ContainerSummary;
}

export function describeContainer(c: ContainerSummary): ProjectContainer {
  const labels = c.Labels ?? {};
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? "").replace(/^\//, ""),
    service: labels[L.SERVICE] ?? "",
    number: Number(labels[L.CONTAINER_NUMBER] ?? 0),
    oneoff: labels[L.ONEOFF] === "True",
    state: c.State,
    configHash: labels[L.CONFIG_HASH] ?? "",
    summary: c,
  };
}

/** The project's containers (every state), sorted by service then number. */
export async function projectContainers(
  engine: ComposeEngine,
  project: string,
  opts: { all?: boolean; oneoff?: boolean | "any"; services?: readonly string[] } = {},
): Promise<ProjectContainer[]> {
  const list = await engine.client.containerList({
    all: opts.all ?? true,
    filters: L.projectFilter(project),
  });
  const oneoff = opts.oneoff ?? false;
  return list
    .map(describeContainer)
    .filter((c) => oneoff === "any" || c.oneoff === oneoff)
    .filter((c) => !opts.services || opts.services.length === 0 || opts.services.includes(c.service))
    .sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.number - b.number));
}

/** Resolves once the container has stopped for good (not about to restart) or is gone. */
export async function untilEnded(engine: ComposeEngine, id: string): Promise<void> {
  for (;;) {
    try {
      await (await engine.client.containerWait(id, "not-running")).result;
      const info = await engine.client.containerInspect(id);
      if (!info.State.Running && !info.State.Restarting) return;
    } catch {
      return; // removed, or the daemon went away
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
