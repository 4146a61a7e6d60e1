// top, stats, pause/unpause and update against a real wharfd (cgroups of this host).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

interface Stats {
  read: string;
  name: string;
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number; online_cpus: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage: number; limit: number; stats: Record<string, number> };
  pids_stats: { current: number; limit?: number };
}

describe("top, stats, pause, update", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  let id: string;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
    id = await d.api.run({ Image: "busybox", Cmd: ["sh", "-c", "sleep 600 & while :; do :; done"] }, "busy");
  });
  after(async () => {
    await d?.stop();
  });

  test("top lists the container's processes with ps's titles; ps_args are passed on", async () => {
    type Top = { Titles: string[]; Processes: string[][] };
    let top = await d.api.ok<Top>("GET", `/containers/${id}/top`);
    // The background sleep may not have been forked yet right after start.
    for (let i = 0; i < 50 && top.Processes.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      top = await d.api.ok<Top>("GET", `/containers/${id}/top`);
    }
    assert.deepEqual(top.Titles, ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]);
    const cmds = top.Processes.map((p) => p.at(-1));
    assert.ok(cmds.includes("sleep 600"), JSON.stringify(cmds));
    assert.equal(top.Processes.length, 2);
    const aux = await d.api.ok<{ Titles: string[] }>("GET", `/containers/${id}/top?ps_args=aux`);
    assert.equal(aux.Titles[0], "USER");
    const noPid = await d.api.call("GET", `/containers/${id}/top?ps_args=-o%20comm`);
    assert.equal(noPid.status, 500);
  });

  test("stats: one document with real figures, then a stream of them", async () => {
    const s = await d.api.ok<Stats>("GET", `/containers/${id}/stats?stream=0`);
    assert.equal(s.name, "/busy");
    assert.ok(s.cpu_stats.cpu_usage.total_usage > s.precpu_stats.cpu_usage.total_usage);
    assert.ok(s.cpu_stats.system_cpu_usage > 0);
    assert.ok(s.memory_stats.usage > 0);
    assert.ok(s.memory_stats.limit > 0);
    assert.equal(s.pids_stats.current, 2);
    const res = await fetchLines(d.socket, `/v1.41/containers/${id}/stats`, 2);
    assert.equal(res.length, 2);
    assert.ok((res[1] as Stats).precpu_stats.cpu_usage.total_usage > 0);
  });

  test("pause freezes (ps shows Paused, exec is refused), unpause thaws", async () => {
    assert.equal((await d.api.call("POST", `/containers/${id}/pause`)).status, 204);
    const info = await d.api.ok<{ State: { Status: string; Paused: boolean } }>(
      "GET",
      `/containers/${id}/json`,
    );
    assert.equal(info.State.Status, "paused");
    assert.equal(info.State.Paused, true);
    const again = await d.api.call("POST", `/containers/${id}/pause`);
    assert.equal(again.status, 409);
    const exec = await d.api.call("POST", `/containers/busy/exec`, { Cmd: ["true"] });
    assert.equal(exec.status, 409);
    assert.equal(
      exec.json<{ message: string }>().message,
      "Container busy is paused, unpause the container before exec",
    );
    assert.equal((await d.api.call("POST", `/containers/${id}/unpause`)).status, 204);
    assert.equal((await d.api.call("POST", `/containers/${id}/unpause`)).status, 409);
    const after = await d.api.ok<{ State: { Status: string } }>("GET", `/containers/${id}/json`);
    assert.equal(after.State.Status, "running");
  });

  test("update changes the running cgroup and the record", async () => {
    const res = await d.api.call("POST", `/containers/${id}/update`, {
      Memory: 64 * 1024 * 1024,
      PidsLimit: 40,
      NanoCpus: 500_000_000,
      RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
    });
    assert.equal(res.status, 200, res.text());
    // Half a CPU: a 50 ms quota per 100 ms period, in the cgroup of this host's layout.
    if (d.owned) {
      const v2 = existsSync("/sys/fs/cgroup/cgroup.controllers");
      const quota = v2
        ? readFileSync(`/sys/fs/cgroup/wharf/${id}/cpu.max`, "utf8").trim()
        : `${readFileSync(`/sys/fs/cgroup/cpu/wharf/${id}/cpu.cfs_quota_us`, "utf8").trim()} ${readFileSync(`/sys/fs/cgroup/cpu/wharf/${id}/cpu.cfs_period_us`, "utf8").trim()}`;
      assert.equal(quota, "50000 100000");
    }
    const s = await d.api.ok<Stats>("GET", `/containers/${id}/stats?stream=0&one-shot=1`);
    assert.equal(s.memory_stats.limit, 64 * 1024 * 1024);
    assert.equal(s.pids_stats.limit, 40);
    const info = await d.api.ok<{ HostConfig: { Memory: number; RestartPolicy: { Name: string } } }>(
      "GET",
      `/containers/${id}/json`,
    );
    assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(info.HostConfig.RestartPolicy.Name, "on-failure");
    const bad = await d.api.call("POST", `/containers/${id}/update`, { Memory: 1024 });
    assert.equal(bad.status, 400);
  });
});

/** Reads the first `n` JSON lines of a streamed response, then drops the connection. */
async function fetchLines(socketPath: string, path: string, n: number): Promise<unknown[]> {
  const { request } = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      let buf = "";
      res.on("data", (c: Buffer) => {
        buf += c.toString();
        const lines = buf.split("\n").filter(Boolean);
        if (lines.length >= n) {
          req.destroy();
          resolve(lines.slice(0, n).map((l) => JSON.parse(l)));
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}
