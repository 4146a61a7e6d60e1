// Health checks against a real wharfd: probes run as execs; starting → healthy → unhealthy,
// the log of the last probes, health_status events, a hanging probe killed at its timeout,
// and the ps health filter and status.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

interface Health {
  Status: string;
  FailingStreak: number;
  Log: Array<{ ExitCode: number; Output: string; Start: string; End: string }>;
}

const ms = 1_000_000;

describe("health checks", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  const health = async (id: string) =>
    (await d.api.ok<{ State: { Health?: Health } }>("GET", `/containers/${id}/json`)).State.Health;
  const waitFor = async (id: string, status: string): Promise<Health> => {
    for (let i = 0; i < 200; i++) {
      const h = await health(id);
      if (h?.Status === status) return h;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`health never became ${status}: ${JSON.stringify(await health(id))}`);
  };

  test("starting → healthy → unhealthy, with events and the probe log", async () => {
    const since = Math.floor(Date.now() / 1000);
    const id = await d.api.run(
      {
        Image: "busybox",
        Cmd: ["sleep", "600"],
        Healthcheck: {
          Test: ["CMD-SHELL", "echo probe; test ! -e /tmp/bad"],
          Interval: 300 * ms,
          Retries: 2,
        },
      },
      "hc-flip",
    );
    assert.equal((await health(id))?.Status, "starting");
    const healthy = await waitFor(id, "healthy");
    assert.equal(healthy.FailingStreak, 0);
    assert.equal(healthy.Log.at(-1)?.ExitCode, 0);
    assert.equal(healthy.Log.at(-1)?.Output, "probe\n");
    const ps = await d.api.ok<Array<{ Status: string }>>(
      "GET",
      `/containers/json?filters=${encodeURIComponent(JSON.stringify({ health: ["healthy"] }))}`,
    );
    assert.equal(ps.length, 1);
    assert.match(ps[0]?.Status ?? "", /^Up .* \(healthy\)$/);

    await d.api
      .ok("POST", `/containers/${id}/exec`, { Cmd: ["touch", "/tmp/bad"] })
      .then((r) => d.api.ok("POST", `/exec/${(r as { Id: string }).Id}/start`, { Detach: true }));
    const unhealthy = await waitFor(id, "unhealthy");
    assert.ok(unhealthy.FailingStreak >= 2);
    assert.ok(unhealthy.Log.length <= 5);
    assert.equal(unhealthy.Log.at(-1)?.ExitCode, 1);

    const until = Math.ceil(Date.now() / 1000) + 1;
    const events = await d.api.call(
      "GET",
      `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`,
    );
    const actions = events
      .text()
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { Action: string }).Action)
      .filter((a) => a.startsWith("health_status"));
    assert.deepEqual(actions, ["health_status: healthy", "health_status: unhealthy"]);
  });

  test("a probe that hangs is killed at its timeout and counts as a failure", async () => {
    const id = await d.api.run({
      Image: "busybox",
      Cmd: ["sleep", "600"],
      Healthcheck: { Test: ["CMD", "sleep", "60"], Interval: 200 * ms, Timeout: 300 * ms, Retries: 1 },
    });
    const h = await waitFor(id, "unhealthy");
    assert.equal(h.Log.at(-1)?.ExitCode, -1);
    assert.match(h.Log.at(-1)?.Output ?? "", /Health check exceeded timeout \(300ms\)/);
    // After three timed-out probes, at most the one in flight is left: the others were killed.
    let probes = h;
    for (let i = 0; i < 100 && probes.Log.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      probes = (await health(id)) ?? probes;
    }
    assert.ok(probes.Log.length >= 3, JSON.stringify(probes.Log));
    assert.ok(probes.Log.every((p) => p.ExitCode === -1));
    assert.ok(probes.FailingStreak >= 3);
    const top = await d.api.ok<{ Processes: string[][] }>("GET", `/containers/${id}/top`);
    assert.ok(top.Processes.filter((p) => p.at(-1) === "sleep 60").length <= 1, JSON.stringify(top));
  });

  test("no health check (or NONE): no Health in inspect, ps health=none", async () => {
    const id = await d.api.run({ Image: "busybox", Cmd: ["sleep", "600"], Healthcheck: { Test: ["NONE"] } });
    assert.equal(await health(id), undefined);
    const ps = await d.api.ok<Array<{ Id: string }>>(
      "GET",
      `/containers/json?filters=${encodeURIComponent(JSON.stringify({ health: ["none"] }))}`,
    );
    assert.ok(ps.some((c) => c.Id === id));
  });
});
