// Seccomp through the real docker CLI: containers run under a filter by default (user and
// network namespaces, mounts refused), capabilities unlock what they govern, a profile file in
// Docker's format replaces the default, unconfined and --privileged turn it off. Set
// WHARF_TEST_SOCKET to a reference dockerd's socket to run the same checks against Docker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;

describe("docker CLI: seccomp", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  let tmp: string;
  const image = `compat-seccomp-bb-${process.pid}:latest`;
  const docker = (...args: string[]) => {
    const r = spawnSync("docker", ["-H", `unix://${d.socket}`, ...args], {
      encoding: "utf8",
      timeout: 60_000,
      killSignal: "SIGKILL",
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  /** `docker run --rm [flags] image sh -c script`: its exit code and output. */
  const run = (flags: string[], script: string) => docker("run", "--rm", ...flags, image, "sh", "-c", script);
  const seccompMode = "grep '^Seccomp:' /proc/self/status | tr -d '\\t'";

  before(async () => {
    d = await startDaemon();
    tmp = mkdtempSync(join(tmpdir(), "wharf-compat-seccomp-"));
    const imported = docker("import", "-c", 'CMD ["sh"]', await busyboxTar(), image);
    assert.equal(imported.code, 0, imported.err);
  });
  after(async () => {
    if (d) docker("rmi", "-f", image);
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test("by default: a filter is on; new user and network namespaces and mounts are refused", () => {
    const r = run(
      [],
      `${seccompMode}; unshare -U true; echo userns=$?; unshare -n true; echo netns=$?; mkdir -p /m; mount -t tmpfs t /m; echo mount=$?`,
    );
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, "Seccomp:2\nuserns=1\nnetns=1\nmount=1\n");
    assert.match(r.err, /unshare\(0x10000000\): Operation not permitted/);
  });

  test("exec'd processes run under the container's filter", () => {
    const name = `seccomp-exec-${process.pid}`;
    try {
      assert.equal(docker("run", "-d", "--name", name, image, "sleep", "60").code, 0);
      const r = docker("exec", name, "sh", "-c", `${seccompMode}; unshare -U true; echo userns=$?`);
      assert.equal(r.out, "Seccomp:2\nuserns=1\n", r.err);
    } finally {
      docker("rm", "-f", name);
    }
  });

  test("CAP_SYS_ADMIN unlocks namespaces and mounts", () => {
    const r = run(
      ["--cap-add", "SYS_ADMIN"],
      "unshare -n true && echo netns-ok; mkdir -p /m && mount -t tmpfs t /m && echo mount-ok",
    );
    assert.equal(r.out, "netns-ok\nmount-ok\n", r.err);
  });

  test("unconfined runs without a filter", () => {
    const r = run(
      ["--security-opt", "seccomp=unconfined"],
      `${seccompMode}; unshare -U true && echo userns-ok`,
    );
    assert.equal(r.out, "Seccomp:0\nuserns-ok\n", r.err);
  });

  test("--privileged runs without a filter", (t) => {
    const r = run(["--privileged"], seccompMode);
    if (!d.owned && /unable to apply caps/.test(r.err)) {
      // Docker 20.10 grants capabilities this kernel has and its runc does not know.
      t.skip("the reference Docker cannot start privileged containers on this host");
      return;
    }
    assert.equal(r.out, "Seccomp:0\n", r.err);
  });

  test("a profile file in Docker's format replaces the default", () => {
    const profile = join(tmp, "no-mkdir.json");
    writeFileSync(
      profile,
      JSON.stringify({
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }],
      }),
    );
    const r = run(
      ["--security-opt", `seccomp=${profile}`],
      "mkdir /made; echo mkdir=$?; unshare -U true && echo userns-ok",
    );
    assert.equal(r.out, "mkdir=1\nuserns-ok\n", r.err);
    assert.match(r.err, /can't create directory '\/made': Operation not permitted/);
  });
});
