// The benchmark's wharfd: every run gets a socket, data root, exec root and bridge of its own,
// so two runs (or a run beside the tests) never collide, and everything goes at its end.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { isRoot } from "../../helpers/daemon.ts";

const skip = (!isRoot() && "needs root") || (process.env.WHARF_TEST_SOCKET && "needs a wharfd of its own");

describe("bench wharf target", { skip }, () => {
  const base = mkdtempSync("/tmp/wharf-bench-it-");
  after(() => rmSync(base, { recursive: true, force: true }));

  test("two runs at once: separate sockets, roots and bridges, all removed at stop", async () => {
    process.env.WHARF_BENCH_RUN = join(base, "run");
    process.env.WHARF_BENCH_WHARF_DATA = join(base, "data");
    const { startWharf } = await import("../../../bench/targets/wharf.ts");
    const created: string[] = [];
    let stopped = false;
    const [a, b] = await Promise.all([
      startWharf((t) => created.push(t.socketPath)),
      startWharf((t) => created.push(t.socketPath)),
    ]);
    try {
      assert.equal(created.length, 2);
      assert.equal(a.unavailable, undefined);
      assert.equal(b.unavailable, undefined);
      assert.notEqual(a.socketPath, b.socketPath);
      const roots = await Promise.all(
        [a, b].map(async (t) => (await t.api.json<{ DockerRootDir: string }>("GET", "/info")).DockerRootDir),
      );
      assert.ok(
        roots.every((r) => r.startsWith(join(base, "data"))),
        roots.join(" "),
      );
      assert.notEqual(roots[0], roots[1]);
      const bridges = await Promise.all(
        [a, b].map(async (t) => {
          const n = await t.api.json<{ Options: Record<string, string> }>("GET", "/networks/bridge");
          return n.Options["com.docker.network.bridge.name"] ?? "";
        }),
      );
      assert.notEqual(bridges[0], bridges[1]);
      assert.ok(bridges.every((br) => existsSync(`/sys/class/net/${br}`)));
      await Promise.all([a.stop(), b.stop()]);
      stopped = true;
      assert.deepEqual(readdirSync(join(base, "data")), []);
      assert.deepEqual(
        readdirSync(join(base, "run")).filter((f) => f !== "wharf.log"),
        [],
        "the run directories are gone (the last log is kept)",
      );
      for (const br of bridges) assert.ok(!existsSync(`/sys/class/net/${br}`), `${br} removed`);
    } finally {
      if (!stopped) await Promise.all([a.stop(), b.stop()]);
    }
  });
});
