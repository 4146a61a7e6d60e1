// 8. Compose: `up -d` and `down` of a 5-service project (busybox sleepers, one depending on
// another) — `wharf compose` on wharfd against Debian's `docker-compose` 1.29 on Docker, each
// the native compose client for its daemon. Both create and remove the project network.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_IMAGE, resetDaemon } from "../lib/engine.ts";
import { type BenchContext, interleave, type MetricGroup, timed } from "../lib/runner.ts";
import { errorLine, sh, which } from "../lib/sh.ts";
import type { Target } from "../targets/target.ts";

const SERVICES = ["db", "cache", "api", "worker", "web"];

function projectFile(): string {
  const lines = ["services:"];
  for (const s of SERVICES) {
    lines.push(
      `  ${s}:`,
      `    image: ${BASE_IMAGE}`,
      // `sleep & wait`: the TERM trap runs at once, so `down -t 1` measures compose and the
      // daemon, not the rest of a one-second sleep.
      "    command: sh -c 'trap \"exit 0\" TERM; while true; do sleep 1 & wait $$!; done'",
    );
    if (s === "api") lines.push("    depends_on: [db, cache]");
    if (s === "web") lines.push("    depends_on: [api]");
  }
  return `${lines.join("\n")}\n`;
}

/** The compose client of a target: wharf compose for wharfd, docker-compose for Docker. */
function composeCommand(
  t: Target,
  file: string,
  project: string,
): { cmd: string; args: string[]; env: NodeJS.ProcessEnv } {
  if (t.name === "wharf") {
    const cli = t.cli();
    return { cmd: cli.cmd, args: [...cli.args, "compose", "-p", project, "-f", file], env: process.env };
  }
  return {
    cmd: "docker-compose",
    args: ["-p", project, "-f", file],
    env: { ...process.env, DOCKER_HOST: `unix://${t.socketPath}` },
  };
}

async function run(t: Target, file: string, project: string, args: string[]): Promise<void> {
  const c = composeCommand(t, file, project);
  const r = await sh(c.cmd, [...c.args, ...args], { env: c.env, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`compose ${args[0]} exited ${r.code}: ${errorLine(r.stderr)}`);
}

export const composeGroup: MetricGroup = {
  name: "compose",
  async run(ctx: BenchContext) {
    const reps = ctx.quick ? 2 : 3;
    const r = ctx.results;
    const up = r.row("compose", "compose.up", "compose up -d, 5 services (CLI, wall)", "ms", "lower");
    const down = r.row("compose", "compose.down", "compose down -t 1, 5 services (CLI, wall)", "ms", "lower");
    if (!(await which("docker-compose"))) {
      for (const t of ctx.targets)
        if (t.name !== "wharf") up.na[t.name] = down.na[t.name] = "docker-compose not installed";
    }
    const file = join(ctx.tmp, "compose-bench.yaml");
    writeFileSync(file, projectFile());
    await interleave(
      ctx,
      [up, down],
      reps,
      async (t, i, rec) => {
        const project = `benchcompose${i + 1}`;
        rec(up, await timed(() => run(t, file, project, ["up", "-d"])));
        rec(down, await timed(() => run(t, file, project, ["down", "-t", "1"])));
      },
      { warmup: 1 },
    );
    for (const t of ctx.targets) if (!t.unavailable) await resetDaemon(t.api).catch(() => {});
  },
};
