// 2. Parallel start: N `sleep` containers created and started by 8 concurrent clients (each its
// own connections), time until all run; then all removed (force) by 8 clients: time.
import type { ApiClient } from "../lib/api.ts";
import { createContainer, removeContainer, resetDaemon, startContainer } from "../lib/engine.ts";
import { type BenchContext, interleave, type MetricGroup, timed } from "../lib/runner.ts";
import type { Target } from "../targets/target.ts";

const CLIENTS = 8;
const CONTAINERS = 50;

/** Runs `job` for every item with `clients` workers, each on its own API client. */
async function fanOut<T>(
  t: Target,
  items: T[],
  clients: number,
  job: (api: ApiClient, item: T) => Promise<void>,
) {
  const queue = [...items];
  const apis = Array.from({ length: clients }, () => t.newClient());
  try {
    await Promise.all(
      apis.map(async (api) => {
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) await job(api, item);
      }),
    );
  } finally {
    for (const api of apis) api.close();
  }
}

export const parallel: MetricGroup = {
  name: "parallel",
  async run(ctx: BenchContext) {
    const reps = ctx.quick ? 1 : 2;
    const r = ctx.results;
    const start = r.row(
      "parallel",
      "parallel.start",
      `start ${CONTAINERS} \`sleep\` containers, ${CLIENTS} clients`,
      "s",
    );
    const remove = r.row(
      "parallel",
      "parallel.remove",
      `remove those ${CONTAINERS} (force), ${CLIENTS} clients`,
      "s",
    );
    await interleave(
      ctx,
      [start, remove],
      reps,
      async (t, _i, rec) => {
        const ids: string[] = [];
        try {
          const indexes = Array.from({ length: CONTAINERS }, (_, k) => k);
          const ms = await timed(() =>
            fanOut(t, indexes, CLIENTS, async (api) => {
              const id = await createContainer(api, { cmd: ["sleep", "3600"] });
              ids.push(id);
              await startContainer(api, id);
            }),
          );
          rec(start, ms / 1000);
          rec(
            remove,
            (await timed(() => fanOut(t, [...ids], CLIENTS, (api, id) => removeContainer(api, id, true)))) /
              1000,
          );
        } catch (err) {
          await resetDaemon(t.api).catch(() => {});
          throw err;
        }
      },
      { timeoutMs: 600_000 },
    );
  },
};
