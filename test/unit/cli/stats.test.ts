// docker stats' figures from a StatsJSON document (docker/cli stats_helpers).
import assert from "node:assert/strict";
import { test } from "node:test";
import { statsRow } from "../../../src/cli/commands/container-observe.ts";

test("statsRow: CPU % against the host delta, memory without inactive_file, I/O sums", () => {
  const row = statsRow(
    "web",
    {
      id: "0123456789abcdef0123",
      name: "/web",
      cpu_stats: {
        cpu_usage: { total_usage: 3_000_000_000 },
        system_cpu_usage: 20_000_000_000,
        online_cpus: 2,
      },
      precpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 10_000_000_000 },
      memory_stats: {
        usage: 10 * 1024 * 1024,
        limit: 100 * 1024 * 1024,
        stats: { total_inactive_file: 5 * 1024 * 1024 },
      },
      pids_stats: { current: 3 },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: "Read", value: 1000 },
          { op: "Write", value: 2000 },
          { op: "Total", value: 3000 },
        ],
      },
      networks: { eth0: { rx_bytes: 1500, tx_bytes: 500 } },
    },
    true,
  );
  assert.deepEqual(row, {
    Container: "web",
    ID: "0123456789ab",
    Name: "web",
    CPUPerc: "20.00%",
    MemUsage: "5MiB / 100MiB",
    MemPerc: "5.00%",
    NetIO: "1.5kB / 500B",
    BlockIO: "1kB / 2kB",
    PIDs: "3",
  });
});
