// The cgroup readers on fixture trees in the kernel's file formats: cgroup v2 (one unified
// hierarchy; not mounted on this hybrid host, so this is its only test) and v1 (per controller),
// and the StatsJSON docker stats gets from each.
import assert from "node:assert/strict";
import { totalmem } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ContainerRecord } from "../../../src/engine/containers/record.ts";
import { statsJson } from "../../../src/engine/containers/stats.ts";
import { readCgroup } from "../../../src/platform/cgroups.ts";

const fixtures = join(import.meta.dirname, "fixtures");
const v2 = { version: 2, hybrid: false } as const;
const v1 = { version: 1, hybrid: true } as const;
const record = { id: "abc", name: "web" } as ContainerRecord;

test("cgroup v2: cpu.stat in µs, memory.current/max/stat, pids, io.stat", async () => {
  const s = await readCgroup("/wharf/abc", v2, join(fixtures, "cgroup-v2"));
  assert.deepEqual(s.cpu, {
    totalNs: 2_500_000_000,
    userNs: 1_500_000_000,
    kernelNs: 1_000_000_000,
    periods: 40,
    throttledPeriods: 3,
    throttledNs: 125_000_000,
  });
  assert.equal(s.memory.usage, 7_340_032);
  assert.equal(s.memory.limit, 67_108_864);
  assert.equal(s.memory.stats.inactive_file, 2_097_152);
  assert.equal(s.memory.stats["core_sched.force_idle_usec"], undefined, "memory.stat only");
  assert.deepEqual(s.pids, { current: 4, limit: undefined }, "pids.max 'max' is no limit");
  assert.deepEqual(s.blkio.serviceBytes, [
    { major: 8, minor: 0, op: "read", value: 1_048_576 },
    { major: 8, minor: 0, op: "write", value: 4096 },
    { major: 253, minor: 0, op: "read", value: 512 },
    { major: 253, minor: 0, op: "write", value: 0 },
  ]);
  assert.deepEqual(
    s.blkio.serviced.map((e) => e.value),
    [20, 1, 1, 0],
  );
});

test("cgroup v2 StatsJSON: Docker's v2 shape (no percpu, no max_usage, lower-case blkio ops)", async () => {
  const sample = await readCgroup("/wharf/abc", v2, join(fixtures, "cgroup-v2"));
  const doc = statsJson(record, v2, { read: "r", sample, systemNs: 9 }, undefined) as {
    cpu_stats: { cpu_usage: Record<string, unknown>; system_cpu_usage: number };
    memory_stats: Record<string, unknown>;
    pids_stats: Record<string, number>;
    blkio_stats: Record<string, unknown>;
    name: string;
  };
  assert.equal(doc.name, "/web");
  assert.deepEqual(doc.cpu_stats.cpu_usage, {
    total_usage: 2_500_000_000,
    usage_in_kernelmode: 1_000_000_000,
    usage_in_usermode: 1_500_000_000,
  });
  assert.equal(doc.cpu_stats.system_cpu_usage, 9);
  assert.equal(doc.memory_stats.usage, 7_340_032);
  assert.equal(doc.memory_stats.limit, 67_108_864);
  assert.equal("max_usage" in doc.memory_stats, false);
  assert.deepEqual(doc.pids_stats, { current: 4 });
  assert.equal((doc.blkio_stats.io_service_bytes_recursive as unknown[]).length, 4);
  assert.equal(doc.blkio_stats.io_queue_recursive, null);
});

test("cgroup v1: cpuacct, cpu.stat, memory, pids, blkio throttle files", async () => {
  const s = await readCgroup("/wharf/abc", v1, join(fixtures, "cgroup-v1"));
  assert.deepEqual(s.cpu, {
    totalNs: 2_500_000_000,
    userNs: 1_500_000_000,
    kernelNs: 1_000_000_000,
    perCpuNs: [1_500_000_000, 1_000_000_000],
    periods: 40,
    throttledPeriods: 3,
    throttledNs: 125_000_000,
  });
  assert.equal(s.memory.usage, 7_340_032);
  assert.equal(s.memory.maxUsage, 9_437_184);
  assert.equal(s.memory.stats.total_inactive_file, 2_097_152);
  assert.deepEqual(s.pids, { current: 4, limit: 40 });
  assert.deepEqual(
    s.blkio.serviceBytes.map((e) => e.op),
    ["Read", "Write", "Sync", "Async", "Discard", "Total"],
    "the device-less grand total is left out",
  );
  const doc = statsJson(record, v1, { read: "r", sample: s, systemNs: 9 }, undefined) as {
    cpu_stats: { cpu_usage: { percpu_usage: number[] } };
    memory_stats: { max_usage: number; limit: number };
    blkio_stats: Record<string, unknown>;
  };
  assert.deepEqual(doc.cpu_stats.cpu_usage.percpu_usage, [1_500_000_000, 1_000_000_000]);
  assert.equal(doc.memory_stats.max_usage, 9_437_184);
  // An unlimited v1 cgroup reports a huge limit_in_bytes: Docker shows the host's memory.
  assert.equal(doc.memory_stats.limit, totalmem());
  // v1 lists are arrays even when empty, as Docker's.
  assert.deepEqual(doc.blkio_stats.io_queue_recursive, []);
});

test("a missing cgroup reads as zeros, not an error", async () => {
  const s = await readCgroup("/wharf/gone", v2, join(fixtures, "cgroup-v2"));
  assert.equal(s.cpu.totalNs, 0);
  assert.equal(s.memory.usage, undefined);
  assert.deepEqual(s.blkio.serviceBytes, []);
});
