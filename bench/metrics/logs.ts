// 4b. Logs: a container writes N lines (`seq`) — time from create to exit, which includes the
// log driver's write path — then GET /logs of all N lines, read and counted to the end; and
// streaming: `logs --follow` opened before start, time from start until the client has all N.

import { createContainer, removeContainer, runToExit, startContainer } from "../lib/engine.ts";
import { LineCounter } from "../lib/mux.ts";
import { type BenchContext, interleave, type MetricGroup, timed } from "../lib/runner.ts";
import type { Target } from "../targets/target.ts";

async function readLogs(t: Target, id: string, follow = false): Promise<number> {
  const res = await t.api.open("GET", `/containers/${id}/logs`, {
    query: { stdout: true, stderr: true, tail: "all", ...(follow ? { follow: true } : {}) },
    timeoutMs: 300_000,
  });
  if (res.statusCode !== 200) throw new Error(`GET /containers/{id}/logs: ${res.statusCode}`);
  const counter = new LineCounter();
  await new Promise<void>((resolve, reject) => {
    res.on("data", (c: Buffer) => {
      try {
        counter.push(c);
      } catch (err) {
        res.destroy();
        reject(err);
      }
    });
    res.on("end", () => resolve());
    res.on("error", reject);
  });
  return counter.lines;
}

export const logs: MetricGroup = {
  name: "logs",
  async run(ctx: BenchContext) {
    // Each repetition moves 1,000,000 lines three ways (~40 s on the loaded dev machine): two fit
    // the 15-minute budget.
    const reps = ctx.quick ? 1 : 2;
    const lines = ctx.quick ? 200_000 : 1_000_000;
    const label = lines.toLocaleString("en-US");
    const r = ctx.results;
    const write = r.row("logs", "logs.write", `container writes ${label} lines, create to exit`, "s");
    const read = r.row("logs", "logs.read", `read ${label} lines (GET /logs)`, "s");
    const stream = r.row(
      "logs",
      "logs.stream",
      `stream ${label} lines live (logs -f), start to last line`,
      "s",
    );
    await interleave(
      ctx,
      [write, read, stream],
      reps,
      async (t, _i, rec) => {
        let id = "";
        rec(
          write,
          (await timed(async () => {
            // Room for every line on both daemons: wharf caps logs at 32 MiB by default.
            id = await runToExit(t.api, {
              cmd: ["seq", "1", String(lines)],
              network: "none",
              logMaxSize: "1g",
            });
          })) / 1000,
        );
        try {
          let got = 0;
          const ms = await timed(async () => {
            got = await readLogs(t, id);
          });
          if (got !== lines) throw new Error(`logs returned ${got} of ${lines} lines`);
          rec(read, ms / 1000);
        } finally {
          await removeContainer(t.api, id, true);
        }
        // Streaming: the follower attaches right after start (a follow on a container that
        // has not started yet ends at once, on Docker too) and reads from the first line.
        const live = await createContainer(t.api, {
          cmd: ["seq", "1", String(lines)],
          network: "none",
          logMaxSize: "1g",
        });
        try {
          let got = 0;
          const ms = await timed(async () => {
            await startContainer(t.api, live);
            got = await readLogs(t, live, true);
          });
          if (got !== lines) throw new Error(`logs -f returned ${got} of ${lines} lines`);
          rec(stream, ms / 1000);
        } finally {
          await removeContainer(t.api, live, true);
        }
      },
      { timeoutMs: 600_000 },
    );
  },
};
