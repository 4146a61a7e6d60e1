// The container start/stop path's shortcuts: overlay mounts through mount(2), conmon and the
// tools exec.ts runs started with posix_spawn, and removing a stopped runc container's state and cgroups
// without `runc delete`. Each test hides the tool (PATH, or a runtime path that does not
// exist), so passing proves the shortcut did the work; the fallbacks are checked too.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { after, test } from "node:test";
import { execFile } from "../../../src/platform/exec.ts";
import { isMounted, isMountPoint, mountOverlay, unmount } from "../../../src/platform/mount.ts";
import { OciRuntime, writeHostMirrorBundle } from "../../../src/platform/oci-runtime.ts";
import { pipeFds, spawnDetached } from "../../../src/platform/spawn-fast.ts";

const skip = process.getuid?.() !== 0 ? "needs root" : false;
const dirs: string[] = [];
const stateRoot = join(tmpdir(), `wharf-fastpath-state-${randomBytes(4).toString("hex")}`);
const runcIds: string[] = [];

after(async () => {
  for (const id of runcIds) {
    try {
      execFileSync("runc", ["--root", stateRoot, "delete", "-f", id], { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
  for (const dir of dirs) {
    if (isMounted(join(dir, "merged"))) execFileSync("umount", ["-l", join(dir, "merged")]);
    await rm(dir, { recursive: true, force: true });
  }
  await rm(stateRoot, { recursive: true, force: true });
});

async function withoutPath<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = "/nonexistent";
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
  }
}

async function overlayDirs(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wharf-fastpath-"));
  dirs.push(dir);
  for (const sub of ["lower", "lower2", "upper", "work", "merged"]) await mkdir(join(dir, sub));
  await writeFile(join(dir, "lower", "from-lower"), "lower\n");
  return dir;
}

test("an overlay is mounted through mount(2), lowerdirs relative to cwd", {
  skip,
}, async () => {
  const dir = await overlayDirs();
  const merged = join(dir, "merged");
  const cwdBefore = process.cwd();
  await withoutPath(() =>
    mountOverlay({
      target: merged,
      lowerDirs: ["lower"],
      upperDir: join(dir, "upper"),
      workDir: join(dir, "work"),
      cwd: dir,
    }),
  );
  assert.equal(process.cwd(), cwdBefore, "the daemon's working directory is restored");
  assert.ok(isMounted(merged));
  assert.ok(existsSync(join(merged, "from-lower")));
  await writeFile(join(merged, "written"), "x");
  assert.ok(existsSync(join(dir, "upper", "written")), "writes land in the upper dir");
  assert.ok(isMountPoint(merged));
  await unmount(merged);
  assert.equal(isMounted(merged), false);
  assert.equal(isMountPoint(merged), false);
});

test("a read-only overlay refuses writes", { skip }, async () => {
  const dir = await overlayDirs();
  const merged = join(dir, "merged");
  await withoutPath(() =>
    mountOverlay({ target: merged, lowerDirs: ["lower", "lower2"], cwd: dir, readonly: true }),
  );
  assert.ok(existsSync(join(merged, "from-lower")));
  await assert.rejects(writeFile(join(merged, "nope"), "x"), { code: "EROFS" });
  await unmount(merged);
});

test("a mount the kernel refuses falls back to mount(8), which says why", { skip }, async () => {
  const dir = await overlayDirs();
  const cwdBefore = process.cwd();
  await assert.rejects(
    mountOverlay({ target: join(dir, "merged"), lowerDirs: ["missing-layer"], cwd: dir }),
    (err: Error) => /^mount -t overlay/.test(err.message),
  );
  assert.equal(process.cwd(), cwdBefore);
  assert.equal(isMounted(join(dir, "merged")), false);
});

async function createRunc(args: string[]): Promise<{ id: string; pid: number }> {
  const dir = await mkdtemp(join(tmpdir(), "wharf-fastpath-bundle-"));
  dirs.push(dir);
  const id = `wharf-fastpath-${randomBytes(4).toString("hex")}`;
  await writeHostMirrorBundle(dir, args, `/wharf/${id}`);
  runcIds.push(id);
  execFileSync("runc", ["--root", stateRoot, "create", "--bundle", dir, id], { stdio: "ignore" });
  const state = JSON.parse(execFileSync("runc", ["--root", stateRoot, "state", id], { encoding: "utf8" }));
  execFileSync("runc", ["--root", stateRoot, "start", id]);
  return { id, pid: state.pid as number };
}

function cgroupDirs(id: string): string[] {
  const state = JSON.parse(readFileSync(join(stateRoot, id, "state.json"), "utf8")) as {
    cgroup_paths: Record<string, string>;
  };
  return [...new Set(Object.values(state.cgroup_paths))];
}

async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 500 && existsSync(`/proc/${pid}/stat`); i++) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("deleting a stopped runc container removes its state and cgroups without runc", { skip }, async () => {
  const { id, pid } = await createRunc(["/bin/true"]);
  await gone(pid);
  const cgroups = cgroupDirs(id);
  assert.ok(cgroups.length > 0 && cgroups.every((p) => existsSync(p)), "runc made cgroups for it");
  const noRunc = new OciRuntime({ name: "runc", path: "/nonexistent/runc", stateRoot });
  await noRunc.delete(id);
  assert.equal(existsSync(join(stateRoot, id)), false, "state dir removed");
  for (const path of cgroups) assert.equal(existsSync(path), false, `${path} removed`);
});

test("a running container is never deleted by the shortcut: it goes to the runtime", { skip }, async () => {
  const { id } = await createRunc(["/bin/sleep", "60"]);
  const noRunc = new OciRuntime({ name: "runc", path: "/nonexistent/runc", stateRoot });
  await assert.rejects(noRunc.delete(id), { code: "ENOENT" });
  assert.ok(existsSync(join(stateRoot, id, "state.json")), "state kept for the real runtime");
  const runc = new OciRuntime({ name: "runc", path: "runc", stateRoot });
  const cgroups = cgroupDirs(id);
  await runc.delete(id);
  assert.equal(existsSync(join(stateRoot, id)), false);
  for (const path of cgroups) assert.equal(existsSync(path), false, `${path} removed`);
});

test("posix_spawn starts a detached child with the fds, cwd, env and signals asked for, and reaps it", async () => {
  const pipe = pipeFds();
  assert.ok(pipe, "node:ffi is available on the pinned Node");
  const [readFd, writeFd] = pipe;
  const script =
    'echo "$(pwd) $WHARF_X $(cut -d" " -f6 /proc/self/stat) $$ $(grep SigIgn /proc/self/status | tr -d "\\t")" >&3; sleep 0.3';
  let pid: number | undefined;
  try {
    pid = spawnDetached({
      file: "sh",
      args: ["-c", script],
      env: { PATH: "/usr/bin:/bin", WHARF_X: "from-env" },
      cwd: tmpdir(),
      fds: [null, null, null, writeFd],
    });
  } finally {
    closeSync(writeFd);
  }
  assert.ok(pid && pid > 0);
  const out = (await text(new Socket({ fd: readFd, readable: true, writable: false }))).trim();
  const [cwd, env, session, shellPid, sigIgn] = out.split(" ");
  assert.equal(cwd, tmpdir());
  assert.equal(env, "from-env");
  assert.equal(session, shellPid, "the child leads a session of its own");
  const ignored = BigInt(`0x${(sigIgn ?? "").replace("SigIgn:", "")}`);
  assert.equal(ignored & (1n << 12n), 0n, "SIGPIPE back to its default, though Node ignores it");
  for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(existsSync(`/proc/${pid}`), false, "exited and reaped (no zombie left)");
});

test("posix_spawn of a missing program throws ENOENT and leaves nothing behind", () => {
  assert.throws(
    () => spawnDetached({ file: "wharf-no-such-tool", args: [], env: {}, cwd: "/", fds: [null, null, null] }),
    { code: "ENOENT" },
  );
});

test("execFile through posix_spawn: input, output, exit code, cwd, a killed tool, a missing one", async () => {
  const r = await execFile("sh", ["-c", "cat; echo oops >&2; exit 3"], { input: "to stdin\n" });
  assert.deepEqual(r, { code: 3, stdout: "to stdin\n", stderr: "oops\n" });
  assert.equal((await execFile("pwd", [], { cwd: tmpdir() })).stdout.trim(), tmpdir());
  assert.equal((await execFile("sh", ["-c", "kill -9 $$"])).code, 128);
  assert.equal((await execFile("sh", ["-c", "head -c 3000000 /dev/zero"])).stdout.length, 3_000_000);
  await assert.rejects(execFile("wharf-no-such-tool", []), { code: "ENOENT" });
});

test("the runtime probe works, and removes probe bundles that killed daemons left behind", {
  skip,
}, async () => {
  // A pid that is surely not running: above the kernel's pid_max.
  const deadPid = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8")) + 1;
  const orphan = join(tmpdir(), `wharf-probe-${deadPid}-orphan`);
  const ours = join(tmpdir(), `wharf-probe-${process.pid}-kept`);
  await mkdir(join(orphan, "rootfs"), { recursive: true });
  await mkdir(ours);
  dirs.push(orphan, ours);
  const runc = new OciRuntime({ name: "runc", path: "runc", stateRoot });
  assert.equal(await runc.works(), true);
  assert.equal(existsSync(orphan), false, "a dead daemon's probe dir is removed");
  assert.equal(existsSync(ours), true, "a live process's probe dir is left alone");
  assert.equal(await new OciRuntime({ name: "runc", path: "/nonexistent/runc", stateRoot }).works(), false);
});
