// Which entries of a container's upper dir are only the runtime's mount-point stubs.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runtimeStubs } from "../../../src/engine/snapshots/runtime-stubs.ts";

describe("runtime mount-point stubs", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const upper = (files: Record<string, string | null>) => {
    const root = mkdtempSync(join(tmpdir(), "wharf-unit-stubs-"));
    dirs.push(root);
    for (const [rel, body] of Object.entries(files)) {
      if (body === null) mkdirSync(join(root, rel), { recursive: true });
      else {
        mkdirSync(join(root, rel, ".."), { recursive: true });
        writeFileSync(join(root, rel), body);
      }
    }
    return root;
  };
  const none = () => false;

  test("empty init-layer files and directories holding only stubs", async () => {
    const root = upper({
      "etc/hosts": "",
      "etc/hostname": "",
      "etc/resolv.conf": "",
      proc: null,
      sys: null,
      dev: null,
    });
    assert.deepEqual([...(await runtimeStubs(root, none))].sort(), [
      "dev",
      "etc",
      "etc/hostname",
      "etc/hosts",
      "etc/resolv.conf",
      "proc",
      "sys",
    ]);
  });

  test("written files, other files and opaque directories are real changes", async () => {
    const root = upper({
      "etc/hosts": "127.0.0.1 written\n",
      "etc/hostname": "",
      "sys/keep": "x",
      "proc/": null,
      "srv/hosts": "",
    });
    assert.deepEqual([...(await runtimeStubs(root, none))].sort(), ["etc/hostname", "proc"]);
    const opaqueProc = await runtimeStubs(root, (abs) => abs === join(root, "proc"));
    assert.deepEqual([...opaqueProc].sort(), ["etc/hostname"]);
  });
});
