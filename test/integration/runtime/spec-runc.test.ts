// Runs configs from buildRuntimeSpec under the real runc (no conmon, no daemon) and checks
// from inside the container that Docker's isolation is what we asked for.

import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { buildHostnameFile, buildHostsFile, buildResolvConf } from "../../../src/engine/runtime/etc-files.ts";
import { ociSpecToJson } from "../../../src/engine/runtime/oci-spec.ts";
import {
  ALL_CAPABILITIES,
  buildRuntimeSpec,
  capabilityMask,
  DEFAULT_CAPABILITIES,
  type RuntimeSpecInput,
} from "../../../src/engine/runtime/spec.ts";
import { readUserFiles, resolveUser } from "../../../src/engine/runtime/user.ts";

const BUSYBOX = "/bin/busybox";
const TINI = "/usr/bin/tini-static";
const APPLETS = ["sh", "cat", "id", "hostname", "ls", "grep", "touch", "wc", "tr", "head"];

function runcPath(): string | null {
  try {
    execFileSync("runc", ["--version"], { stdio: "ignore" });
    return "runc";
  } catch {
    return null;
  }
}

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return "needs root";
  if (!runcPath()) return "runc not installed";
  try {
    execFileSync(BUSYBOX, ["true"], { stdio: "ignore" });
    execFileSync(TINI, ["--version"], { stdio: "ignore" });
  } catch {
    return "needs /bin/busybox and /usr/bin/tini-static";
  }
  return false;
}

const skip = skipReason();
const workDirs: string[] = [];
const stateRoot = join(tmpdir(), `wharf-runc-state-${randomBytes(4).toString("hex")}`);
const created: string[] = [];

after(async () => {
  for (const id of created) {
    try {
      execFileSync("runc", ["--root", stateRoot, "delete", "-f", id], { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
  await rm(stateRoot, { recursive: true, force: true });
  for (const dir of workDirs) await rm(dir, { recursive: true, force: true });
});

/** Host hard limits by Docker name, as the daemon reads them. */
async function hostHardLimits(): Promise<Record<string, number>> {
  const names: Record<string, string> = {
    "Max open files": "nofile",
    "Max processes": "nproc",
    "Max core file size": "core",
    "Max locked memory": "memlock",
  };
  const out: Record<string, number> = {};
  for (const line of (await readFile("/proc/self/limits", "utf8")).split("\n")) {
    for (const [label, name] of Object.entries(names)) {
      if (!line.startsWith(label)) continue;
      const hard = line.slice(label.length).trim().split(/\s+/)[1];
      if (hard && hard !== "unlimited") out[name] = Number(hard);
    }
  }
  return out;
}

/** Capabilities in our bounding set: runc cannot grant more. */
async function availableCapabilities(): Promise<string[]> {
  const status = await readFile("/proc/self/status", "utf8");
  const mask = BigInt(`0x${/CapBnd:\s*([0-9a-f]+)/.exec(status)![1]}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

async function makeBundle(): Promise<{ bundle: string; rootfs: string }> {
  const bundle = await mkdtemp(join(tmpdir(), "wharf-spec-runc-"));
  workDirs.push(bundle);
  const rootfs = join(bundle, "rootfs");
  for (const dir of ["bin", "etc", "proc", "sys", "dev", "tmp", "run", "sbin"]) {
    await mkdir(join(rootfs, dir), { recursive: true });
  }
  await copyFile(BUSYBOX, join(rootfs, "bin/busybox"));
  for (const applet of APPLETS) await symlink("busybox", join(rootfs, "bin", applet));
  await writeFile(
    join(rootfs, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n",
  );
  await writeFile(join(rootfs, "etc/group"), "root:x:0:\nwheel:x:10:root,alice\nalice:x:1000:\n");
  return { bundle, rootfs };
}

async function writeEtcFiles(bundle: string, hostname: string): Promise<RuntimeSpecInput["etcFiles"]> {
  const files = {
    hostname: join(bundle, "hostname"),
    hosts: join(bundle, "hosts"),
    resolvConf: join(bundle, "resolv.conf"),
  };
  await writeFile(files.hostname, buildHostnameFile(hostname));
  await writeFile(files.hosts, buildHostsFile({ hostname, extraHosts: ["gateway.test:10.9.8.7"] }));
  await writeFile(files.resolvConf, buildResolvConf({ hostResolvConf: "nameserver 127.0.0.53\n" }).content);
  return files;
}

async function runInRunc(
  bundle: string,
  id: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  created.push(id);
  const child = spawn("runc", ["--root", stateRoot, "run", "--bundle", bundle, id], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  // The container holds our pipes too: killing runc alone would leave "close" waiting for it.
  const timer = setTimeout(() => {
    child.kill("SIGKILL");
    execFile("runc", ["--root", stateRoot, "delete", "-f", id], () => undefined);
  }, 20000);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function fields(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const PROBE = [
  'echo "HOSTNAME=$(hostname)"',
  'echo "ID=$(id)"',
  'set -- $(grep CapEff /proc/self/status); echo "CAPEFF=$2"',
  'set -- $(grep CapBnd /proc/self/status); echo "CAPBND=$2"',
  'set -- $(grep NoNewPrivs /proc/self/status); echo "NNP=$2"',
  'echo "KCORE=$(cat /proc/kcore 2>/dev/null | wc -c)"',
  'echo "PROCSYS=$(grep " /proc/sys " /proc/self/mountinfo | head -n 1)"',
  'echo "RUN=$(grep " /run " /proc/mounts)"',
  "if touch /rootfs-write 2>/dev/null; then echo ROOTFS=rw; else echo ROOTFS=ro; fi",
  "if touch /run/x 2>/dev/null; then echo RUNWRITE=ok; else echo RUNWRITE=fail; fi",
  'echo "PID1=$(cat /proc/1/cmdline | tr "\\0" " ")"',
  'echo "MEM=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)"',
  'echo "PIDS=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)"',
  'echo "NOFILE=$(ulimit -n)"',
  'echo "NETDEVS=$(grep : /proc/net/dev | tr -s " " | while read -r n _; do printf "%s" "$n"; done)"',
  'echo "ETCHOSTNAME=$(cat /etc/hostname)"',
  'echo "GATEWAY=$(grep gateway.test /etc/hosts | tr "\\t" " ")"',
  'echo "NAMESERVER=$(grep ^nameserver /etc/resolv.conf | head -n 1)"',
  'echo "PINGRANGE=$(cat /proc/sys/net/ipv4/ping_group_range | tr "\\t" " ")"',
  "echo DONE=1",
].join("\n");

async function baseInput(
  rootfs: string,
  id: string,
  hostname: string,
  bundle: string,
): Promise<RuntimeSpecInput> {
  return {
    id,
    rootfs,
    readonlyRootfs: false,
    args: ["/bin/sh", "-c", PROBE],
    env: [],
    cwd: "/",
    user: { uid: 0, gid: 0, additionalGids: [] },
    terminal: false,
    hostname,
    privileged: false,
    capAdd: [],
    capDrop: [],
    network: { mode: "none" },
    etcFiles: await writeEtcFiles(bundle, hostname),
    mounts: [],
    tmpfs: {},
    shmSize: 0,
    resources: {},
    ulimits: [],
    hostHardLimits: await hostHardLimits(),
    cgroupsPath: `/wharf-test-${id}`,
    sysctls: {},
    securityOpt: [],
    availableCapabilities: await availableCapabilities(),
  };
}

function uniqueId(): string {
  return `wharf-spec-${randomBytes(6).toString("hex")}`;
}

test("runc runs the generated config with Docker's isolation", { skip }, async () => {
  const { bundle, rootfs } = await makeBundle();
  const id = uniqueId();
  const files = await readUserFiles(rootfs);
  const user = resolveUser("", files.passwd, files.group);
  const input: RuntimeSpecInput = {
    ...(await baseInput(rootfs, id, "wharf-test", bundle)),
    readonlyRootfs: true,
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    capDrop: ["NET_RAW", "mknod"],
    init: { hostPath: TINI },
    tmpfs: { "/run": "size=1m" },
    resources: { memory: 64 * 1024 * 1024, pidsLimit: 64 },
  };
  await writeFile(join(bundle, "config.json"), ociSpecToJson(buildRuntimeSpec(input), 2));

  const { code, stdout, stderr } = await runInRunc(bundle, id);
  assert.equal(code, 0, `runc failed: ${stderr}\n${stdout}`);
  const f = fields(stdout);
  assert.equal(f.DONE, "1", stdout);
  assert.equal(f.HOSTNAME, "wharf-test");
  assert.equal(f.ETCHOSTNAME, "wharf-test");
  assert.equal(f.ID, "uid=0(root) gid=0(root) groups=0(root),10(wheel)");
  const expected = DEFAULT_CAPABILITIES.filter((c) => c !== "CAP_NET_RAW" && c !== "CAP_MKNOD");
  assert.equal(BigInt(`0x${f.CAPEFF}`), capabilityMask(expected));
  assert.equal(BigInt(`0x${f.CAPBND}`), capabilityMask(expected));
  assert.equal(f.NNP, "0");
  assert.equal(f.KCORE, "0", "/proc/kcore is masked");
  assert.match(f.PROCSYS ?? "", / \/proc\/sys ro,/, "/proc/sys is read-only");
  assert.match(f.RUN ?? "", /^tmpfs \/run tmpfs rw,nosuid,nodev,noexec,.*size=1024k/);
  assert.equal(f.ROOTFS, "ro");
  assert.equal(f.RUNWRITE, "ok");
  assert.match(f.PID1 ?? "", /^\/sbin\/docker-init -- \/bin\/sh -c /);
  assert.equal(f.MEM, String(64 * 1024 * 1024));
  assert.equal(f.PIDS, "64");
  const limits = await hostHardLimits();
  assert.equal(f.NOFILE, String(Math.min(1048576, limits.nofile ?? 1048576)));
  assert.equal(f.NETDEVS, "lo:", "network none: only loopback");
  assert.equal(f.GATEWAY, "10.9.8.7 gateway.test");
  assert.equal(f.NAMESERVER, "nameserver 8.8.8.8", "host loopback resolver replaced");
  assert.equal(f.PINGRANGE, "0 2147483647");
});

test("runc: a non-root user loses its capabilities on exec; no-new-privileges holds", { skip }, async () => {
  const { bundle, rootfs } = await makeBundle();
  const id = uniqueId();
  const files = await readUserFiles(rootfs);
  const user = resolveUser("alice", files.passwd, files.group);
  const input: RuntimeSpecInput = {
    ...(await baseInput(rootfs, id, "alice-box", bundle)),
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    securityOpt: ["no-new-privileges:true"],
    ulimits: [{ Name: "nofile", Soft: 512, Hard: 1024 }],
  };
  await writeFile(join(bundle, "config.json"), ociSpecToJson(buildRuntimeSpec(input), 2));

  const { code, stdout, stderr } = await runInRunc(bundle, id);
  assert.equal(code, 0, `runc failed: ${stderr}\n${stdout}`);
  const f = fields(stdout);
  assert.equal(f.DONE, "1", stdout);
  // The kernel sorts supplementary groups, so id lists them by number (same on Docker).
  assert.equal(f.ID, "uid=1000(alice) gid=1000(alice) groups=10(wheel),1000(alice)");
  assert.equal(BigInt(`0x${f.CAPEFF}`), 0n);
  assert.equal(BigInt(`0x${f.CAPBND}`), capabilityMask(DEFAULT_CAPABILITIES));
  assert.equal(f.NNP, "1");
  assert.equal(f.NOFILE, "512");
});

test("runc: privileged gets every capability the host can grant, unmasked /proc, rw /sys", {
  skip,
}, async () => {
  const { bundle, rootfs } = await makeBundle();
  const id = uniqueId();
  const available = await availableCapabilities();
  const script = [
    'set -- $(grep CapEff /proc/self/status); echo "CAPEFF=$2"',
    'echo "KCOREMASK=$(grep -c " /proc/kcore " /proc/self/mountinfo)"',
    'echo "SYS=$(grep " /sys " /proc/self/mountinfo | head -n 1)"',
    "echo DONE=1",
  ].join("\n");
  const input: RuntimeSpecInput = {
    ...(await baseInput(rootfs, id, "priv", bundle)),
    privileged: true,
    args: ["/bin/sh", "-c", script],
  };
  await writeFile(join(bundle, "config.json"), ociSpecToJson(buildRuntimeSpec(input), 2));

  const { code, stdout, stderr } = await runInRunc(bundle, id);
  assert.equal(code, 0, `runc failed: ${stderr}\n${stdout}`);
  const f = fields(stdout);
  assert.equal(f.DONE, "1", stdout);
  assert.equal(BigInt(`0x${f.CAPEFF}`), capabilityMask(available));
  assert.equal(f.KCOREMASK, "0", "nothing masked");
  assert.match(f.SYS ?? "", / \/sys rw,/);
});
