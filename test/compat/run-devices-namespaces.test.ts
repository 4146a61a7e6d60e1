// docker run's device, group and namespace-sharing flags through the real docker CLI: --device
// (renamed, with cgroup permissions), --device-cgroup-rule, --device-read-bps, --group-add,
// --pid/--ipc container:<name> (with --ipc shareable), --ipc none, --cgroupns private. Set
// WHARF_TEST_SOCKET to a reference dockerd's socket to run the same checks against Docker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const cgroupV1 = existsSync("/sys/fs/cgroup/devices");

/** The host's block device under `path` (e.g. /dev/vda), for the blkio flags. */
function blockDeviceOf(path: string): string | undefined {
  const dev = statSync(path).dev;
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & ~0xff);
  const uevent = `/sys/dev/block/${major}:${minor}/uevent`;
  const name = existsSync(uevent) ? /^DEVNAME=(.+)$/m.exec(readFileSync(uevent, "utf8"))?.[1] : undefined;
  return name && existsSync(`/dev/${name}`) ? `/dev/${name}` : undefined;
}

describe("docker CLI: devices, groups and shared namespaces", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  const image = `compat-devns-bb-${process.pid}:latest`;
  const names: string[] = [];
  const docker = (...args: string[]) => {
    const r = spawnSync("docker", ["-H", `unix://${d.socket}`, ...args], {
      encoding: "utf8",
      timeout: 60_000,
      killSignal: "SIGKILL",
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const run = (flags: string[], script: string) => docker("run", "--rm", ...flags, image, "sh", "-c", script);
  /** A long-running container, removed in after(). */
  const daemonized = (name: string, flags: string[] = []) => {
    const full = `${name}-${process.pid}`;
    names.push(full);
    const r = docker("run", "-d", "--name", full, ...flags, image, "sleep", "300");
    assert.equal(r.code, 0, r.err);
    return full;
  };

  before(async () => {
    d = await startDaemon();
    const imported = docker("import", "-c", 'CMD ["sh"]', await busyboxTar(), image);
    assert.equal(imported.code, 0, imported.err);
  });
  after(async () => {
    if (d) {
      for (const n of names) docker("rm", "-f", n);
      docker("rmi", "-f", image);
    }
    await d?.stop();
  });

  // /dev/loop-control (c 10:237) is not among the devices a container may open by default.
  const lc = "/dev/loop-control";

  test("--device: the node under a new name, readable but not writable with permissions r", (t) => {
    if (!existsSync(lc)) {
      t.skip(`${lc} is missing on this host`);
      return;
    }
    const r = run(
      ["--device", `${lc}:/dev/lc:r`],
      "stat -c '%t,%T' /dev/lc; (exec 3< /dev/lc); echo read=$?; (exec 3> /dev/lc); echo write=$?",
    );
    assert.equal(r.out, "a,ed\nread=0\nwrite=1\n", r.err);
    assert.match(r.err, /Operation not permitted/);
    const missing = run(["--device", "/dev/no-such-device"], "true");
    assert.notEqual(missing.code, 0);
    assert.match(
      missing.err,
      /error gathering device information while adding custom device "\/dev\/no-such-device": no such file or directory/,
    );
  });

  test("--device-cgroup-rule lets a node made with mknod be opened", (t) => {
    if (!existsSync(lc)) {
      t.skip(`${lc} is missing on this host`);
      return;
    }
    const script = "mknod /tmp/lc c 10 237 && (exec 3< /tmp/lc); echo open=$?";
    assert.equal(run([], script).out, "open=1\n");
    assert.equal(run(["--device-cgroup-rule", "c 10:237 r"], script).out, "open=0\n");
  });

  test("--device-read-bps sets the block I/O throttle", (t) => {
    const device = blockDeviceOf("/");
    if (!device || !cgroupV1) {
      t.skip("needs cgroup v1 and a block device under /");
      return;
    }
    const r = run(
      ["--device-read-bps", `${device}:1mb`],
      "cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device",
    );
    assert.match(r.out, /^\d+:\d+ 1048576$/m, r.err);
  });

  test("--cgroup-parent, --oom-kill-disable and --memory-swappiness reach the cgroup; --storage-opt is refused on overlay over ext4", (t) => {
    const parent = `wharf-compat-parent-${process.pid}`;
    try {
      const r = run(["--cgroup-parent", parent, "--cgroupns", "host"], "cat /proc/self/cgroup");
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^0::/${parent}/[0-9a-f]{64}$`, "m"));
    } finally {
      // The parent stays behind after the container, as with Docker.
      for (const dir of spawnSync(
        "sh",
        ["-c", `ls -d /sys/fs/cgroup/*/${parent} /sys/fs/cgroup/${parent} 2>/dev/null`],
        {
          encoding: "utf8",
        },
      ).stdout.split("\n"))
        if (dir) spawnSync("rmdir", [dir]);
    }
    const fsType = spawnSync("stat", ["-f", "-c", "%T", "/var/lib"], { encoding: "utf8" }).stdout.trim();
    if (fsType !== "xfs") {
      const opt = run(["--storage-opt", "size=1G"], "true");
      assert.notEqual(opt.code, 0);
      assert.match(
        opt.err,
        /--storage-opt is supported only for overlay over xfs with 'pquota' mount option/,
      );
    }
    if (!cgroupV1) {
      t.skip("the memory settings are cgroup v1 only");
      return;
    }
    const mem = run(
      ["--memory", "64m", "--oom-kill-disable", "--memory-swappiness", "10"],
      "head -1 /sys/fs/cgroup/memory/memory.oom_control; cat /sys/fs/cgroup/memory/memory.swappiness",
    );
    assert.equal(mem.out, "oom_kill_disable 1\n10\n", mem.err);
  });

  test("--gpus is refused without a device driver", () => {
    const gpus = run(["--gpus", "all"], "true");
    assert.notEqual(gpus.code, 0);
    assert.match(gpus.err, /could not select device driver "" with capabilities: \[\[gpu\]\]/);
  });

  test("--group-add adds supplementary groups", () => {
    const r = run(["--group-add", "123", "--group-add", "456", "-u", "1000:1000"], "id -G");
    assert.deepEqual(r.out.trim().split(" ").sort(), ["1000", "123", "456"]);
  });

  test("--pid container:<name> sees that container's processes", () => {
    const target = daemonized("devns-pid");
    const r = run(["--pid", `container:${target}`], "ps -o pid,args | grep -c '^ *1 sleep 300$'");
    assert.equal(r.out, "1\n", r.err);
  });

  test("--ipc container:<name> shares /dev/shm with a shareable container; a private one refuses", () => {
    const donor = daemonized("devns-ipc", ["--ipc", "shareable", "--shm-size", "2m"]);
    const r = run(
      ["--ipc", `container:${donor}`],
      "echo hi > /dev/shm/from-joiner && df -k /dev/shm | tail -1",
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\s2048\s/);
    assert.equal(docker("exec", donor, "cat", "/dev/shm/from-joiner").out, "hi\n");
    const privateDonor = daemonized("devns-noipc");
    const refused = run(["--ipc", `container:${privateDonor}`], "true");
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/);
  });

  test("--ipc none has no /dev/shm; --cgroupns private sees its own cgroup as the root", () => {
    assert.equal(run(["--ipc", "none"], "test -e /dev/shm; echo $?").out, "1\n");
    const cg = run(["--cgroupns", "private"], "cat /proc/self/cgroup");
    assert.equal(cg.code, 0, cg.err);
    for (const line of cg.out.trim().split("\n")) assert.match(line, /:\/$/, cg.out);
  });
});
