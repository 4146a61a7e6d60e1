// The bench run lock: a second run is refused while the first lives; a dead run's lock is taken over.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { acquireRunLock } from "../../../bench/lib/lock.ts";

const dir = mkdtempSync(join(tmpdir(), "wharf-bench-lock-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("a live run holds the lock; release frees it", () => {
  const release = acquireRunLock(dir);
  assert.equal(readFileSync(join(dir, "bench.lock"), "utf8"), `${process.pid}\n`);
  release();
  assert.equal(existsSync(join(dir, "bench.lock")), false);
});

test("another live process's lock refuses the run, naming it", () => {
  writeFileSync(join(dir, "bench.lock"), `${process.ppid}\n`);
  assert.throws(() => acquireRunLock(dir), {
    message: `another bench run (pid ${process.ppid}) is using ${dir}: wait until it ends`,
  });
  rmSync(join(dir, "bench.lock"));
});

test("the lock of a run that died is taken over", () => {
  const dead = spawnSync("true").pid as number;
  writeFileSync(join(dir, "bench.lock"), `${dead}\n`);
  const release = acquireRunLock(dir);
  assert.equal(readFileSync(join(dir, "bench.lock"), "utf8"), `${process.pid}\n`);
  release();
});
