// daemon.json's registry keys, as Docker names them.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../../src/daemon/config.ts";

function withConfig(json: object, fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "wharf-config-"));
  try {
    const path = join(dir, "daemon.json");
    writeFileSync(path, JSON.stringify(json));
    fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("insecure-registries, registry-mirrors and download/upload limits", () => {
  withConfig(
    {
      "insecure-registries": ["myreg:5000", "10.0.0.0/8"],
      "registry-mirrors": ["https://mirror.example"],
      "max-concurrent-downloads": 6,
      "max-concurrent-uploads": 2,
    },
    (path) => {
      const c = loadConfig(["--config-file", path]);
      assert.deepEqual(c?.insecureRegistries, ["myreg:5000", "10.0.0.0/8"]);
      assert.deepEqual(c?.registryMirrors, ["https://mirror.example"]);
      assert.equal(c?.maxConcurrentDownloads, 6);
      assert.equal(c?.maxConcurrentUploads, 2);
    },
  );
});

test("defaults: 5 downloads (measured; Docker's is 3) and 5 uploads; a bad limit is refused", () => {
  withConfig({}, (path) => {
    const c = loadConfig(["--config-file", path]);
    assert.equal(c?.maxConcurrentDownloads, 5);
    assert.equal(c?.maxConcurrentUploads, 5);
    assert.deepEqual(c?.insecureRegistries, []);
  });
  withConfig({ "max-concurrent-downloads": 0 }, (path) => {
    assert.throws(() => loadConfig(["--config-file", path]), ConfigError);
  });
});

test("--max-concurrent-downloads/--max-concurrent-uploads: from flags, checked; given in daemon.json too, refused as by dockerd", () => {
  withConfig({ "max-concurrent-downloads": 6 }, (path) => {
    const c = loadConfig(["--config-file", path, "--max-concurrent-uploads=4"]);
    assert.equal(c?.maxConcurrentDownloads, 6);
    assert.equal(c?.maxConcurrentUploads, 4);
    assert.throws(
      () => loadConfig(["--config-file", path, "--max-concurrent-downloads", "8"]),
      /specified both as a flag and in the configuration file: max-concurrent-downloads: \(from flag: 8, from file: 6\)/,
    );
    assert.throws(() => loadConfig(["--config-file", path, "--max-concurrent-uploads", "0"]), ConfigError);
    assert.throws(() => loadConfig(["--config-file", path, "--max-concurrent-uploads=x"]), ConfigError);
  });
});
