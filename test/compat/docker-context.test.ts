// The real docker CLI and bin/wharf sharing one context store (a temp DOCKER_CONFIG): a context
// either CLI made reaches the same daemon from both, through --context, DOCKER_CONTEXT and the
// current context. Set WHARF_TEST_SOCKET to a reference dockerd's socket to run it against Docker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const wharfBin = fileURLToPath(new URL("../../bin/wharf", import.meta.url));

describe("docker CLI and wharf: shared contexts", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon | undefined;
  let dir = "";
  const volume = `compat-ctx-${process.pid}`;

  const run = (bin: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync(bin, args, {
      encoding: "utf8",
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: dir, ...env },
      timeout: 60_000,
      killSignal: "SIGKILL",
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ok = (bin: string, args: string[], env?: NodeJS.ProcessEnv): string => {
    const r = run(bin, args, env);
    assert.equal(r.code, 0, `${bin} ${args.join(" ")}: ${r.err}`);
    return r.out;
  };
  const volumes = (bin: string, args: string[], env?: NodeJS.ProcessEnv) =>
    ok(bin, [...args, "volume", "ls", "-q"], env).split("\n");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "compat-ctx-"));
    d = await startDaemon();
  });
  after(async () => {
    if (d) run("docker", ["-H", `unix://${d.socket}`, "volume", "rm", "-f", volume]);
    await d?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a context made by either CLI reaches the same daemon from both", () => {
    const host = `unix://${(d as TestDaemon).socket}`;
    ok("docker", ["context", "create", "bydocker", "--docker", `host=${host}`]);
    ok(wharfBin, ["context", "create", "bywharf", "--docker", `host=${host}`]);
    ok("docker", ["--context", "bywharf", "volume", "create", volume]);
    assert.ok(volumes(wharfBin, ["--context", "bydocker"]).includes(volume));
    assert.ok(volumes("docker", ["--context", "bywharf"]).includes(volume));
    assert.ok(volumes(wharfBin, [], { DOCKER_CONTEXT: "bywharf" }).includes(volume));
    ok(wharfBin, ["context", "use", "bydocker"]);
    assert.ok(volumes("docker", []).includes(volume));
    assert.ok(volumes(wharfBin, []).includes(volume));
    ok("docker", ["context", "use", "default"]);
    ok(wharfBin, ["--context", "bydocker", "volume", "rm", volume]);
    assert.equal(volumes("docker", ["--context", "bywharf"]).includes(volume), false);
  });
});
