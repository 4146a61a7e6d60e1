// `wharf system prune` and `builder prune` against a real wharfd: what goes, what stays, and
// docker's prompt and report; the real docker CLI's `system prune` against the same daemon.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { type CliResult, type Daemon, startDaemon, wharf } from "./harness.ts";

const skip = process.getuid?.() !== 0 && "needs root (wharfd runs containers)";
const run = promisify(execFile);

describe("wharf system prune", { skip, concurrency: false }, () => {
  let daemon: Daemon;
  const cli = (...args: string[]): Promise<CliResult> => wharf(daemon.host, args);
  const names = async (...args: string[]) => (await cli(...args)).stdout.split("\n").filter(Boolean).sort();

  before(async () => {
    daemon = await startDaemon();
    assert.equal((await cli("image", "bootstrap", "busybox")).code, 0);
  });

  after(async () => {
    await daemon?.stop();
  });

  test("declining the prompt removes nothing", async () => {
    assert.equal((await cli("create", "--name", "declined", "busybox", "true")).code, 0);
    const r = await wharf(daemon.host, ["system", "prune"], { input: "n\n" });
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /^WARNING! This will remove:\n {2}- all stopped containers\n {2}- all networks not used by at least one container\n {2}- all dangling images\n {2}- unused build cache\n\nAre you sure you want to continue\? \[y\/N\] $/,
    );
    assert.deepEqual(await names("ps", "-a", "--format", "{{.Names}}"), ["declined"]);
    assert.equal((await cli("rm", "declined")).code, 0);
  });

  test("-f removes stopped containers, unused networks, dangling images; keeps what is in use", async () => {
    assert.equal((await cli("run", "--name", "stopped", "busybox", "true")).code, 0);
    assert.equal((await cli("run", "-d", "--name", "running", "busybox", "sleep", "600")).code, 0);
    assert.equal((await cli("network", "create", "prune-unused")).code, 0);
    assert.equal((await cli("network", "create", "prune-used")).code, 0);
    assert.equal((await cli("network", "connect", "prune-used", "running")).code, 0);
    assert.equal((await cli("volume", "create", "prune-named")).code, 0);
    // A dangling image: commit a container's change untagged.
    assert.equal((await cli("run", "--name", "writer", "busybox", "touch", "/x")).code, 0);
    const dangling = (await cli("commit", "writer")).stdout.trim();
    assert.match(dangling, /^sha256:[0-9a-f]{64}$/);

    const r = await cli("system", "prune", "-f");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\n/);
    assert.match(r.stdout, /\nDeleted Networks:\nprune-unused\n\n/);
    assert.match(r.stdout, new RegExp(`\\nDeleted Images:\\n(untagged: .*\\n)*deleted: ${dangling}\\n`));
    assert.match(r.stdout, /\nTotal reclaimed space: \S+\n$/);

    assert.deepEqual(await names("ps", "-a", "--format", "{{.Names}}"), ["running"]);
    const networks = await names("network", "ls", "--format", "{{.Name}}");
    assert.ok(networks.includes("prune-used") && !networks.includes("prune-unused"), networks.join(","));
    assert.deepEqual(await names("images", "--format", "{{.Repository}}"), ["busybox"]);
    // Named volumes survive even --volumes (only anonymous ones go).
    assert.equal((await cli("system", "prune", "-f", "--volumes")).code, 0);
    assert.deepEqual(await names("volume", "ls", "-q"), ["prune-named"]);
    assert.equal((await cli("rm", "-f", "running")).code, 0);
  });

  test("the real docker CLI's system prune works against wharfd", async () => {
    assert.equal((await cli("create", "--name", "for-docker", "busybox", "true")).code, 0);
    const { stdout } = await run("docker", ["-H", daemon.host, "system", "prune", "-f"], { timeout: 60_000 });
    assert.match(stdout, /Deleted Containers:\n[0-9a-f]{64}\n/);
    assert.match(stdout, /Total reclaimed space: /);
    assert.deepEqual(await names("ps", "-a", "--format", "{{.Names}}"), []);
  });

  test("builder prune answers with docker's report", async () => {
    const r = await cli("builder", "prune", "-f");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^(Deleted build cache objects:\n(\S+\n)+\n)?Total reclaimed space: \S+\n$/);
  });
});
