// `npm run bench`: measures wharf and, in the same run, Debian's Docker on the same images and
// machine; prints a table (min/median/max per daemon, ratio wharf/docker) and writes the raw
// samples as JSON. See bench/README.md.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { BASE_IMAGE, importImage, resetDaemon } from "./lib/engine.ts";
import { busyboxRootfs } from "./lib/fixtures.ts";
import { acquireRunLock } from "./lib/lock.ts";
import { machine } from "./lib/machine.ts";
import { renderHeader, renderTable, writeJson } from "./lib/report.ts";
import { Results, reasonOf, TARGET_NAMES, type TargetName } from "./lib/results.ts";
import type { BenchContext, MetricGroup } from "./lib/runner.ts";
import { buildGroup } from "./metrics/build.ts";
import { composeGroup } from "./metrics/compose.ts";
import { exec } from "./metrics/exec.ts";
import { images } from "./metrics/images.ts";
import { lifecycle } from "./metrics/lifecycle.ts";
import { logs } from "./metrics/logs.ts";
import { memory } from "./metrics/memory.ts";
import { network } from "./metrics/network.ts";
import { parallel } from "./metrics/parallel.ts";
import { registry } from "./metrics/registry.ts";
import { registryServer } from "./metrics/registry-server.ts";
import { volumes } from "./metrics/volumes.ts";
import { absentTarget } from "./targets/absent.ts";
import { startDocker } from "./targets/docker.ts";
import type { Target } from "./targets/target.ts";
import { RUN_PARENT, refreshBuildIfStale, startWharf } from "./targets/wharf.ts";

// memory first: the host is quietest right after start-up (no namespaces still being freed).
const GROUPS: readonly MetricGroup[] = [
  memory,
  lifecycle,
  parallel,
  exec,
  logs,
  images,
  registry,
  registryServer,
  buildGroup,
  network,
  composeGroup,
  volumes,
];
const DEFAULT_JSON = new URL("results/latest.json", import.meta.url).pathname;

const USAGE = `usage: npm run bench -- [--quick] [--only ${GROUPS.map((g) => g.name).join(",")}]
                       [--json PATH] [--no-wharf] [--no-docker] [--no-install]`;

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

function parse() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      json: { type: "string", default: DEFAULT_JSON },
      "no-docker": { type: "boolean", default: false },
      "no-wharf": { type: "boolean", default: false },
      "no-install": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    log(USAGE);
    process.exit(0);
  }
  const only = values.only
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only?.filter((n) => !GROUPS.some((g) => g.name === n)) ?? [];
  if (unknown.length > 0) {
    log(`unknown metric group: ${unknown.join(", ")}\n${USAGE}`);
    process.exit(2);
  }
  return { ...values, groups: GROUPS.filter((g) => !only || only.includes(g.name)) };
}

/**
 * Starts both daemons (each goes into `out` at once, so a signal mid-start still stops it) and
 * gives each the same busybox base image.
 */
async function startTargets(opts: ReturnType<typeof parse>, out: Target[]): Promise<void> {
  if (opts["no-wharf"]) out.push(absentTarget("wharf", "left out (--no-wharf)"));
  else {
    refreshBuildIfStale();
    await startWharf((t) => out.push(t));
  }
  out.push(
    opts["no-docker"]
      ? absentTarget("docker", "left out (--no-docker)")
      : await startDocker(!opts["no-install"]),
  );
  const rootfs = await busyboxRootfs();
  for (const t of out) {
    if (t.unavailable) {
      log(`${t.name}: n/a — ${t.unavailable}`);
      continue;
    }
    try {
      await resetDaemon(t.api);
      await importImage(t.api, bufferStream(rootfs), "busybox", "latest");
      await t.api.call("GET", `/images/${BASE_IMAGE}/json`);
      log(`${t.name}: up on ${t.socketPath}, ${BASE_IMAGE} imported`);
    } catch (err) {
      t.unavailable = `base image import failed: ${reasonOf(err)}`;
      log(`${t.name}: n/a — ${t.unavailable}`);
    }
  }
}

function bufferStream(buf: Buffer) {
  return Readable.from([buf]);
}

async function main(): Promise<number> {
  const opts = parse();
  if (process.getuid?.() !== 0) log("bench: not root — the daemons need root; expect n/a figures");
  const started = Date.now();
  const tmp = mkdtempSync(join(process.env.WHARF_BENCH_TMP ?? "/var/tmp", "wharf-bench-"));
  const targets: Target[] = [];
  let aborted = false;
  let cleaning: Promise<void> | undefined;
  let releaseLock: (() => void) | undefined;
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      await Promise.all(
        targets.map((t) => t.stop().catch((err: unknown) => log(`stop ${t.name}: ${reasonOf(err)}`))),
      );
      rmSync(tmp, { recursive: true, force: true });
      releaseLock?.();
    })();
    return cleaning;
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    if (aborted) return;
    aborted = true;
    log(`bench: ${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  // A stray rejection must not leave daemons and containers behind.
  let crashed = false;
  process.on("uncaughtException", (err) => {
    if (crashed) return;
    crashed = true;
    aborted = true;
    log(`bench: ${err.stack ?? err.message}`);
    void cleanup().finally(() => process.exit(1));
  });
  // Output piped into `head` that has exited: stop writing, not crash (and not loop on EPIPE).
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);

  try {
    releaseLock = acquireRunLock(RUN_PARENT);
  } catch (err) {
    log(`bench: ${reasonOf(err)}`);
    rmSync(tmp, { recursive: true, force: true });
    return 1;
  }
  try {
    await startTargets(opts, targets);
    const results = new Results();
    const ctx: BenchContext = { quick: opts.quick, targets, results, tmp, log, aborted: () => aborted };
    // Groups run even with no daemon up, so the table still lists every metric as n/a.
    for (const g of opts.groups) {
      if (aborted) break;
      const t0 = Date.now();
      log(`[${g.name}]`);
      try {
        await g.run(ctx);
      } catch (err) {
        // A group that breaks outside a sample (fixtures, a bug) costs its rows, not the run.
        log(`  ${g.name} failed: ${reasonOf(err)}`);
        for (const row of results.rows.filter((r) => r.group === g.name)) {
          for (const name of TARGET_NAMES) row.na[name] ??= reasonOf(err);
        }
      }
      for (const t of targets) if (!t.unavailable) await resetDaemon(t.api).catch(() => {});
      log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    // Interrupted: the signal handler is tearing the daemons down; a partial report would
    // overwrite the last complete one.
    if (aborted) return 130;
    for (const row of results.rows) {
      for (const t of targets)
        if (t.unavailable && row.samples[t.name].length === 0) row.na[t.name] ??= t.unavailable;
    }
    const versions: Partial<Record<TargetName, Record<string, string>>> = {};
    for (const t of targets) if (!t.unavailable) versions[t.name] = await t.versions();
    const info = {
      date: new Date().toISOString(),
      quick: opts.quick,
      durationSec: (Date.now() - started) / 1000,
      machine: machine(),
      versions,
      unavailable: Object.fromEntries(
        targets.filter((t) => t.unavailable).map((t) => [t.name, t.unavailable]),
      ),
    };
    process.stdout.write(`\n${renderHeader(info)}\n\n${renderTable(results.rows)}\n`);
    writeJson(opts.json, info, results.rows);
    log(`\nraw results: ${opts.json}`);
    return 0;
  } finally {
    await cleanup();
  }
}

process.exitCode = await main();
