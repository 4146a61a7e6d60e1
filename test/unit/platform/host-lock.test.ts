// The host-wide lock (flock held by a child process): holders never overlap, and the lock is
// free again after a holder fails or its process is killed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { HostLockError, withHostLock } from "../../../src/platform/host-lock.ts";
import { killAfter, killAndWait } from "../../helpers/bounded.ts";

describe("withHostLock", () => {
  const dir = mkdtempSync(join(tmpdir(), "wharf-lock-"));
  const lock = join(dir, "lock");
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("holders run one at a time", async () => {
    let inside = 0;
    let most = 0;
    const holder = (n: number) =>
      withHostLock(lock, async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 20));
        inside--;
        return n;
      });
    assert.deepEqual(await Promise.all([1, 2, 3, 4].map(holder)), [1, 2, 3, 4]);
    assert.equal(most, 1);
  });

  test("a failing holder releases the lock and its error reaches the caller", async () => {
    await assert.rejects(
      withHostLock(lock, async () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(await withHostLock(lock, async () => "free", 2), "free");
  });

  test("a lock held elsewhere times out with HostLockError, and is free once that process is killed", async () => {
    // Another process (as another wharfd would) takes the lock and hangs inside it.
    const code = `import { withHostLock } from ${JSON.stringify(join(import.meta.dirname, "../../../src/platform/host-lock.ts"))};
await withHostLock(${JSON.stringify(lock)}, async () => { console.log("held"); await new Promise(() => setInterval(() => {}, 1000)); });`;
    const other = spawn(process.execPath, ["--input-type=module", "-e", code], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    killAfter(other, 60_000); // it never ends by itself
    try {
      await once(other.stdout, "data");
      await assert.rejects(
        withHostLock(lock, async () => "never", 1),
        HostLockError,
      );
    } finally {
      await killAndWait(other); // a failed check must not leave it keeping this test file alive
    }
    assert.equal(await withHostLock(lock, async () => "free", 5), "free");
  });
});
