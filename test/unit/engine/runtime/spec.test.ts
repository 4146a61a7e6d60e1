import assert from "node:assert/strict";
import { test } from "node:test";
import type { OciMount, OciSpec } from "../../../../src/engine/runtime/oci-spec.ts";
import {
  ALL_CAPABILITIES,
  buildEnv,
  buildResources,
  buildRlimits,
  buildRuntimeSpec,
  capabilityMask,
  DEFAULT_CAPABILITIES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  mergeTmpfsOptions,
  parseNoNewPrivileges,
  type RuntimeSpecInput,
  replaceOrAppendEnv,
  resolveCapabilities,
  sortByDepth,
} from "../../../../src/engine/runtime/spec.ts";

function input(overrides: Partial<RuntimeSpecInput> = {}): RuntimeSpecInput {
  return {
    id: "abc123",
    rootfs: "/var/lib/wharf/snapshots/1/merged",
    readonlyRootfs: false,
    args: ["sh", "-c", "true"],
    env: [],
    cwd: "/",
    user: { uid: 0, gid: 0, additionalGids: [] },
    terminal: false,
    hostname: "abc123",
    privileged: false,
    capAdd: [],
    capDrop: [],
    network: { mode: "none" },
    etcFiles: { hostname: "/c/hostname", hosts: "/c/hosts", resolvConf: "/c/resolv.conf" },
    mounts: [],
    tmpfs: {},
    shmSize: 0,
    resources: {},
    ulimits: [],
    hostHardLimits: {},
    cgroupsPath: "/wharf/abc123",
    sysctls: {},
    securityOpt: [],
    ...overrides,
  };
}

function mount(spec: OciSpec, dest: string): OciMount | undefined {
  return spec.mounts?.find((m) => m.destination === dest);
}

test("default spec matches Docker's shape", () => {
  const s = buildRuntimeSpec(input());
  assert.equal(s.ociVersion, "1.2.0");
  assert.deepEqual(s.root, { path: "/var/lib/wharf/snapshots/1/merged", readonly: false });
  assert.equal(s.hostname, "abc123");
  assert.deepEqual(
    s.linux?.namespaces?.map((n) => n.type),
    ["mount", "network", "uts", "pid", "ipc"],
  );
  assert.equal(s.linux?.cgroupsPath, "/wharf/abc123");
  assert.deepEqual(s.linux?.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.deepEqual(s.linux?.readonlyPaths, DEFAULT_READONLY_PATHS);
  assert.deepEqual(s.linux?.devices, []);
  const p = s.process!;
  assert.deepEqual(p.args, ["sh", "-c", "true"]);
  assert.equal(p.cwd, "/");
  assert.equal(p.terminal, false);
  assert.deepEqual(p.user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(p.capabilities?.bounding, DEFAULT_CAPABILITIES);
  assert.deepEqual(p.capabilities?.effective, DEFAULT_CAPABILITIES);
  assert.deepEqual(p.capabilities?.permitted, DEFAULT_CAPABILITIES);
  assert.equal(p.capabilities?.inheritable, undefined);
  assert.equal(p.capabilities?.ambient, undefined);
  assert.equal(p.noNewPrivileges, undefined);
  assert.equal(p.oomScoreAdj, undefined);
  assert.deepEqual(p.rlimits, [{ type: "RLIMIT_NOFILE", soft: 1048576, hard: 1048576 }]);
});

test("default capability mask is Docker's a80425fb", () => {
  assert.equal(capabilityMask(DEFAULT_CAPABILITIES).toString(16), "a80425fb");
  assert.equal(ALL_CAPABILITIES.length, 41);
  assert.equal(capabilityMask(ALL_CAPABILITIES).toString(16), "1ffffffffff");
});

test("standard mounts in Docker's order and options", () => {
  const s = buildRuntimeSpec(input());
  assert.deepEqual(
    s.mounts?.map((m) => [m.destination, m.type, m.source]),
    [
      ["/proc", "proc", "proc"],
      ["/dev", "tmpfs", "tmpfs"],
      ["/dev/pts", "devpts", "devpts"],
      ["/sys", "sysfs", "sysfs"],
      ["/sys/fs/cgroup", "cgroup", "cgroup"],
      ["/dev/mqueue", "mqueue", "mqueue"],
      ["/dev/shm", "tmpfs", "shm"],
      ["/etc/resolv.conf", "bind", "/c/resolv.conf"],
      ["/etc/hostname", "bind", "/c/hostname"],
      ["/etc/hosts", "bind", "/c/hosts"],
    ],
  );
  assert.deepEqual(mount(s, "/proc")?.options, ["nosuid", "noexec", "nodev"]);
  assert.deepEqual(mount(s, "/dev")?.options, ["nosuid", "strictatime", "mode=755", "size=65536k"]);
  assert.deepEqual(mount(s, "/dev/pts")?.options, [
    "nosuid",
    "noexec",
    "newinstance",
    "ptmxmode=0666",
    "mode=0620",
    "gid=5",
  ]);
  assert.ok(mount(s, "/sys")?.options?.includes("ro"));
  assert.ok(mount(s, "/sys/fs/cgroup")?.options?.includes("ro"));
  assert.deepEqual(mount(s, "/dev/shm")?.options, [
    "nosuid",
    "noexec",
    "nodev",
    "mode=1777",
    "size=67108864",
  ]);
  assert.deepEqual(mount(s, "/etc/hosts")?.options, ["rbind", "rprivate"]);
});

test("shm size is taken from the input", () => {
  const s = buildRuntimeSpec(input({ shmSize: 1024 * 1024 }));
  assert.ok(mount(s, "/dev/shm")?.options?.includes("size=1048576"));
});

test("device cgroup: deny all, allow Docker's standard nodes", () => {
  const rules = buildRuntimeSpec(input()).linux?.resources?.devices ?? [];
  assert.deepEqual(rules[0], { allow: false, access: "rwm" });
  const allowed = rules
    .filter((r) => r.allow && r.access === "rwm")
    .map((r) => `${r.type} ${r.major}:${r.minor}`);
  for (const dev of [
    "c 1:3",
    "c 1:5",
    "c 1:7",
    "c 1:8",
    "c 1:9",
    "c 5:0",
    "c 5:1",
    "c 5:2",
    "c 136:undefined",
  ]) {
    assert.ok(allowed.includes(dev), dev);
  }
  assert.ok(rules.some((r) => !r.allow && r.major === 10 && r.minor === 229));
  assert.ok(!rules.some((r) => r.allow && r.type === undefined), "no allow-all rule");
});

test("env: PATH and HOSTNAME first, image/user env replaces them, TERM with a tty", () => {
  assert.deepEqual(buildEnv([], "h1", false), [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOSTNAME=h1",
  ]);
  assert.deepEqual(buildEnv(["PATH=/bin", "A=1"], "h1", true), [
    "PATH=/bin",
    "HOSTNAME=h1",
    "TERM=xterm",
    "A=1",
  ]);
  assert.deepEqual(buildEnv(["TERM=dumb"], "h", true).slice(2), ["TERM=dumb"]);
  // an entry without "=" unsets
  assert.deepEqual(buildEnv(["HOSTNAME"], "h", false), [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  ]);
  assert.deepEqual(replaceOrAppendEnv(["A=1"], ["B=1", "B=2", "C"]), ["A=1", "B=2"]);
  const s = buildRuntimeSpec(input({ env: ["FOO=bar"], hostname: "web" }));
  assert.deepEqual(s.process?.env?.slice(1), ["HOSTNAME=web", "FOO=bar"]);
});

test("user: primary gid first in additionalGids, no duplicates", () => {
  const s = buildRuntimeSpec(input({ user: { uid: 1000, gid: 1000, additionalGids: [10, 1000, 20] } }));
  assert.deepEqual(s.process?.user, { uid: 1000, gid: 1000, additionalGids: [1000, 10, 20] });
});

test("cwd defaults to / and must be absolute", () => {
  assert.equal(buildRuntimeSpec(input({ cwd: "" })).process?.cwd, "/");
  assert.equal(buildRuntimeSpec(input({ cwd: "/app/" })).process?.cwd, "/app/");
  assert.throws(() => buildRuntimeSpec(input({ cwd: "app" })), /needs to be an absolute path/);
  assert.throws(() => buildRuntimeSpec(input({ args: [] })), /no command specified/);
});

test("terminal and console size", () => {
  const s = buildRuntimeSpec(input({ terminal: true, consoleSize: { height: 40, width: 120 } }));
  assert.equal(s.process?.terminal, true);
  assert.deepEqual(s.process?.consoleSize, { height: 40, width: 120 });
  assert.ok(s.process?.env?.includes("TERM=xterm"));
});

test("capabilities: add and drop in Docker's forms", () => {
  const caps = resolveCapabilities({
    capAdd: ["net_admin", "CAP_SYS_TIME"],
    capDrop: ["MKNOD", "cap_kill"],
    privileged: false,
  });
  assert.ok(caps.includes("CAP_NET_ADMIN"));
  assert.ok(caps.includes("CAP_SYS_TIME"));
  assert.ok(!caps.includes("CAP_MKNOD"));
  assert.ok(!caps.includes("CAP_KILL"));
  assert.equal(caps.length, DEFAULT_CAPABILITIES.length);
  // adding a default one again does not duplicate it
  assert.deepEqual(
    resolveCapabilities({ capAdd: ["CHOWN"], capDrop: [], privileged: false }),
    DEFAULT_CAPABILITIES,
  );
});

test("capabilities: ALL", () => {
  assert.deepEqual(resolveCapabilities({ capAdd: [], capDrop: ["ALL"], privileged: false }), []);
  assert.deepEqual(
    resolveCapabilities({ capAdd: ["NET_BIND_SERVICE"], capDrop: ["all"], privileged: false }),
    ["CAP_NET_BIND_SERVICE"],
  );
  const all = resolveCapabilities({ capAdd: ["ALL"], capDrop: ["SYS_ADMIN"], privileged: false });
  assert.equal(all.length, ALL_CAPABILITIES.length - 1);
  assert.ok(!all.includes("CAP_SYS_ADMIN"));
  assert.deepEqual(resolveCapabilities({ capAdd: [], capDrop: [], privileged: true }), ALL_CAPABILITIES);
});

test("capabilities: unknown and unavailable names", () => {
  assert.throws(
    () => resolveCapabilities({ capAdd: ["FOO"], capDrop: [], privileged: false }),
    /unknown capability: "CAP_FOO"/,
  );
  assert.throws(
    () => resolveCapabilities({ capAdd: [], capDrop: ["BAR"], privileged: false }),
    /unknown capability: "CAP_BAR"/,
  );
  const available = ALL_CAPABILITIES.filter((c) => c !== "CAP_SYS_RESOURCE");
  assert.throws(
    () => resolveCapabilities({ capAdd: ["SYS_RESOURCE"], capDrop: [], privileged: false, available }),
    /not available in the current environment: "CAP_SYS_RESOURCE"/,
  );
  // privileged and ALL only grant what the host can grant
  assert.ok(
    !resolveCapabilities({ capAdd: [], capDrop: [], privileged: true, available }).includes(
      "CAP_SYS_RESOURCE",
    ),
  );
  assert.ok(
    !resolveCapabilities({ capAdd: ["ALL"], capDrop: [], privileged: false, available }).includes(
      "CAP_SYS_RESOURCE",
    ),
  );
  // dropping an unavailable capability is fine
  assert.doesNotThrow(() =>
    resolveCapabilities({ capAdd: [], capDrop: ["SYS_RESOURCE"], privileged: false, available }),
  );
});

test("privileged: all caps, no masks, /sys and cgroup rw, all devices", () => {
  const s = buildRuntimeSpec(
    input({
      privileged: true,
      readonlyRootfs: true,
      hostDevices: [{ type: "c", path: "/dev/kmsg", major: 1, minor: 11, fileMode: 0o644, uid: 0, gid: 0 }],
    }),
  );
  assert.deepEqual(s.process?.capabilities?.bounding, ALL_CAPABILITIES);
  assert.equal(s.linux?.maskedPaths, undefined);
  assert.equal(s.linux?.readonlyPaths, undefined);
  assert.ok(!mount(s, "/sys")?.options?.includes("ro"));
  assert.ok(!mount(s, "/sys/fs/cgroup")?.options?.includes("ro"));
  assert.deepEqual(s.linux?.resources?.devices, [{ allow: true, access: "rwm" }]);
  assert.equal(s.linux?.devices?.[0]?.path, "/dev/kmsg");
});

test("masked/readonly path overrides", () => {
  const s = buildRuntimeSpec(input({ maskedPaths: [], readonlyPaths: ["/proc/sys"] }));
  assert.deepEqual(s.linux?.maskedPaths, []);
  assert.deepEqual(s.linux?.readonlyPaths, ["/proc/sys"]);
});

test("network modes", () => {
  const host = buildRuntimeSpec(input({ network: { mode: "host" } }));
  assert.ok(!host.linux?.namespaces?.some((n) => n.type === "network"));
  assert.equal(host.linux?.sysctl, undefined, "no net sysctls without a private netns");
  const none = buildRuntimeSpec(input({ network: { mode: "none" } }));
  assert.deepEqual(
    none.linux?.namespaces?.find((n) => n.type === "network"),
    { type: "network" },
  );
  assert.deepEqual(none.linux?.sysctl, {
    "net.ipv4.ping_group_range": "0 2147483647",
    "net.ipv4.ip_unprivileged_port_start": "0",
  });
  const ns = buildRuntimeSpec(input({ network: { mode: "netns", path: "/run/netns/x" } }));
  assert.deepEqual(
    ns.linux?.namespaces?.find((n) => n.type === "network"),
    { type: "network", path: "/run/netns/x" },
  );
  const noDefaults = buildRuntimeSpec(input({ defaultNetworkSysctls: false }));
  assert.equal(noDefaults.linux?.sysctl, undefined);
});

test("pid, ipc, uts host modes and cgroup namespace", () => {
  const s = buildRuntimeSpec(
    input({
      pidMode: "host",
      ipcMode: "host",
      utsMode: "host",
      domainname: "example.com",
      cgroupNamespace: true,
    }),
  );
  const types = s.linux?.namespaces?.map((n) => n.type);
  assert.deepEqual(types, ["mount", "network", "cgroup"]);
  assert.equal(s.hostname, undefined);
  assert.equal(s.linux?.sysctl?.["kernel.domainname"], undefined);
  // ipc host: the host's /dev/shm instead of a private tmpfs
  assert.deepEqual(mount(s, "/dev/shm"), {
    destination: "/dev/shm",
    type: "bind",
    source: "/dev/shm",
    options: ["rbind", "rprivate"],
  });
  assert.equal(s.mounts?.filter((m) => m.destination === "/dev/shm").length, 1);
});

test("domainname becomes the kernel.domainname sysctl", () => {
  const s = buildRuntimeSpec(input({ domainname: "example.com" }));
  assert.equal(s.linux?.sysctl?.["kernel.domainname"], "example.com");
});

test("user sysctls override defaults", () => {
  const s = buildRuntimeSpec(
    input({ sysctls: { "net.ipv4.ip_unprivileged_port_start": "1024", "net.core.somaxconn": "1024" } }),
  );
  assert.equal(s.linux?.sysctl?.["net.ipv4.ip_unprivileged_port_start"], "1024");
  assert.equal(s.linux?.sysctl?.["net.core.somaxconn"], "1024");
});

test("init wraps the command and binds the init binary read-only", () => {
  const s = buildRuntimeSpec(input({ init: { hostPath: "/usr/bin/tini-static" } }));
  assert.deepEqual(s.process?.args, ["/sbin/docker-init", "--", "sh", "-c", "true"]);
  assert.deepEqual(mount(s, "/sbin/docker-init"), {
    destination: "/sbin/docker-init",
    type: "bind",
    source: "/usr/bin/tini-static",
    options: ["bind", "ro"],
  });
  // not with the host's pid namespace, as Docker
  const host = buildRuntimeSpec(input({ init: { hostPath: "/usr/bin/tini-static" }, pidMode: "host" }));
  assert.deepEqual(host.process?.args, ["sh", "-c", "true"]);
  assert.equal(mount(host, "/sbin/docker-init"), undefined);
});

test("readonly rootfs: root ro, etc files ro, writable system mounts stay rw", () => {
  const s = buildRuntimeSpec(input({ readonlyRootfs: true, tmpfs: { "/run": "" } }));
  assert.equal(s.root?.readonly, true);
  for (const dest of ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"]) {
    assert.deepEqual(mount(s, dest)?.options, ["rbind", "ro", "rprivate"], dest);
  }
  for (const dest of ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/run"]) {
    assert.ok(!mount(s, dest)?.options?.includes("ro"), dest);
  }
  assert.ok(mount(s, "/sys")?.options?.includes("ro"));
});

test("tmpfs: Docker's default options, user options win", () => {
  const s = buildRuntimeSpec(
    input({ tmpfs: { "/run": "size=1m,noexec", "/tmp": "exec,mode=1777", "/data/": "" } }),
  );
  assert.deepEqual(mount(s, "/run"), {
    destination: "/run",
    type: "tmpfs",
    source: "tmpfs",
    options: ["nosuid", "nodev", "rprivate", "size=1m", "noexec"],
  });
  assert.deepEqual(mount(s, "/tmp")?.options, ["nosuid", "nodev", "rprivate", "exec", "mode=1777"]);
  assert.deepEqual(mount(s, "/data")?.options, ["noexec", "nosuid", "nodev", "rprivate"]);
  assert.throws(
    () => buildRuntimeSpec(input({ tmpfs: { "/x": "bogus" } })),
    /invalid tmpfs option \["bogus"\]/,
  );
  assert.throws(
    () => buildRuntimeSpec(input({ tmpfs: { "/x": "foo=bar" } })),
    /invalid tmpfs option \["foo" "bar"\]/,
  );
  assert.throws(() => buildRuntimeSpec(input({ tmpfs: { relative: "" } })), /must be absolute/);
});

test("mergeTmpfsOptions keeps the last of each group", () => {
  assert.deepEqual(mergeTmpfsOptions(["ro", "size=1", "rw", "size=2", "defaults", "shared", "rprivate"]), [
    "rw",
    "size=2",
    "rprivate",
  ]);
});

test("user mounts: sorted parents first, override defaults and etc files", () => {
  const s = buildRuntimeSpec(
    input({
      mounts: [
        { destination: "/data/sub/deep", source: "/v3", type: "bind", options: ["rbind"] },
        { destination: "/data", source: "/v1", type: "bind", options: ["rbind"] },
        { destination: "/etc/hosts", source: "/my/hosts", type: "bind", options: ["rbind", "ro"] },
        { destination: "/dev/shm", source: "/my/shm", type: "bind", options: ["rbind"] },
        { destination: "/data/sub", source: "/v2", type: "bind", options: ["rbind"] },
      ],
    }),
  );
  const dests = s.mounts!.map((m) => m.destination);
  assert.ok(dests.indexOf("/data") < dests.indexOf("/data/sub"));
  assert.ok(dests.indexOf("/data/sub") < dests.indexOf("/data/sub/deep"));
  assert.equal(dests.filter((d) => d === "/etc/hosts").length, 1);
  assert.equal(mount(s, "/etc/hosts")?.source, "/my/hosts");
  assert.equal(mount(s, "/dev/shm")?.source, "/my/shm");
  assert.equal(dests.filter((d) => d === "/dev/shm").length, 1);
  assert.throws(
    () =>
      buildRuntimeSpec(
        input({
          mounts: [{ destination: "/x", source: "/a", type: "bind", options: [] }],
          tmpfs: { "/x/": "" },
        }),
      ),
    /Duplicate mount point: \/x/,
  );
});

test("a user /dev mount replaces every default mount under /dev", () => {
  const s = buildRuntimeSpec(
    input({ mounts: [{ destination: "/dev", source: "/hostdev", type: "bind", options: ["rbind"] }] }),
  );
  const dests = s.mounts!.map((m) => m.destination);
  assert.ok(!dests.some((d) => d.startsWith("/dev/")));
  assert.equal(mount(s, "/dev")?.source, "/hostdev");
});

test("shared or slave bind mounts set rootfs propagation", () => {
  const shared = buildRuntimeSpec(
    input({ mounts: [{ destination: "/m", source: "/m", type: "bind", options: ["rbind", "rshared"] }] }),
  );
  assert.equal(shared.linux?.rootfsPropagation, "shared");
  const slave = buildRuntimeSpec(
    input({ mounts: [{ destination: "/m", source: "/m", type: "bind", options: ["rbind", "rslave"] }] }),
  );
  assert.equal(slave.linux?.rootfsPropagation, "rslave");
  assert.equal(buildRuntimeSpec(input()).linux?.rootfsPropagation, undefined);
});

test("sortByDepth is stable", () => {
  const sorted = sortByDepth([
    { destination: "/b/c", n: 1 },
    { destination: "/z", n: 2 },
    { destination: "/a", n: 3 },
    { destination: "/", n: 4 },
  ]);
  assert.deepEqual(
    sorted.map((m) => m.n),
    [2, 3, 4, 1],
  );
});

test("no-new-privileges from security options and daemon default", () => {
  assert.equal(parseNoNewPrivileges([], false), false);
  assert.equal(parseNoNewPrivileges([], true), true);
  assert.equal(parseNoNewPrivileges(["no-new-privileges"], false), true);
  assert.equal(parseNoNewPrivileges(["no-new-privileges:true"], false), true);
  assert.equal(parseNoNewPrivileges(["no-new-privileges=1"], false), true);
  assert.equal(parseNoNewPrivileges(["no-new-privileges=false"], true), false);
  assert.equal(parseNoNewPrivileges(["seccomp=unconfined", "label=disable"], false), false);
  assert.throws(() => parseNoNewPrivileges(["no-new-privileges=maybe"], false), /invalid --security-opt/);
  assert.equal(
    buildRuntimeSpec(input({ securityOpt: ["no-new-privileges"] })).process?.noNewPrivileges,
    true,
  );
  assert.equal(buildRuntimeSpec(input({ noNewPrivileges: true })).process?.noNewPrivileges, true);
});

test("oom score adj is passed through", () => {
  assert.equal(buildRuntimeSpec(input({ oomScoreAdj: 0 })).process?.oomScoreAdj, 0);
  assert.equal(buildRuntimeSpec(input({ oomScoreAdj: 500 })).process?.oomScoreAdj, 500);
});

test("rlimits: Docker names, nofile default, clamped to the host's hard limits", () => {
  assert.deepEqual(buildRlimits([], { nofile: 20000 }), [
    { type: "RLIMIT_NOFILE", soft: 20000, hard: 20000 },
  ]);
  assert.deepEqual(
    buildRlimits(
      [
        { Name: "nofile", Soft: 1024, Hard: 4096 },
        { Name: "nproc", Soft: 100, Hard: 200000 },
        { Name: "core", Soft: -1, Hard: -1 },
      ],
      { nofile: 20000, nproc: 96364, core: 5000 },
    ),
    [
      { type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 },
      { type: "RLIMIT_NPROC", soft: 100, hard: 96364 },
      { type: "RLIMIT_CORE", soft: 5000, hard: 5000 },
    ],
  );
  assert.deepEqual(buildRlimits([{ Name: "core", Soft: -1, Hard: -1 }], {}).slice(0, 1), [
    { type: "RLIMIT_CORE", soft: Number.POSITIVE_INFINITY, hard: Number.POSITIVE_INFINITY },
  ]);
  assert.deepEqual(buildRlimits([{ Name: "nofile", Soft: 50000, Hard: 60000 }], { nofile: 20000 }), [
    { type: "RLIMIT_NOFILE", soft: 20000, hard: 20000 },
  ]);
  assert.throws(() => buildRlimits([{ Name: "bogus", Soft: 1, Hard: 1 }], {}), /invalid ulimit type: bogus/);
  assert.throws(() => buildRlimits([{ Name: "nofile", Soft: 10, Hard: 5 }], {}), /soft limit must be less/);
  const s = buildRuntimeSpec(input({ hostHardLimits: { nofile: 20000 } }));
  assert.deepEqual(s.process?.rlimits, [{ type: "RLIMIT_NOFILE", soft: 20000, hard: 20000 }]);
});

const NOPRIV = { privileged: false, swapLimitSupported: true };

test("resources: memory with Docker's swap conventions", () => {
  assert.equal(buildResources({}, NOPRIV).memory, undefined);
  assert.deepEqual(buildResources({ memory: 64 << 20 }, NOPRIV).memory, { limit: 64 << 20, swap: 128 << 20 });
  assert.deepEqual(buildResources({ memory: 64 << 20, memorySwap: -1 }, NOPRIV).memory, { limit: 64 << 20 });
  assert.deepEqual(buildResources({ memory: 64 << 20, memorySwap: 100 << 20 }, NOPRIV).memory, {
    limit: 64 << 20,
    swap: 100 << 20,
  });
  assert.deepEqual(
    buildResources({ memory: 64 << 20 }, { privileged: false, swapLimitSupported: false }).memory,
    {
      limit: 64 << 20,
    },
  );
  assert.deepEqual(buildResources({ memoryReservation: 32 << 20 }, NOPRIV).memory, { reservation: 32 << 20 });
  assert.throws(() => buildResources({ memorySwap: 10 << 20 }, NOPRIV), /always set the Memory limit/);
  assert.throws(
    () => buildResources({ memory: 64 << 20, memorySwap: 10 << 20 }, NOPRIV),
    /larger than memory/,
  );
});

test("resources: cpu", () => {
  assert.equal(buildResources({}, NOPRIV).cpu, undefined);
  assert.deepEqual(buildResources({ nanoCpus: 1_500_000_000 }, NOPRIV).cpu, {
    period: 100000,
    quota: 150000,
  });
  assert.deepEqual(buildResources({ nanoCpus: 10_000_000 }, NOPRIV).cpu, { period: 100000, quota: 1000 });
  assert.deepEqual(
    buildResources(
      { cpuShares: 512, cpuQuota: 50000, cpuPeriod: 200000, cpusetCpus: "0-1", cpusetMems: "0" },
      NOPRIV,
    ).cpu,
    { shares: 512, cpus: "0-1", mems: "0", period: 200000, quota: 50000 },
  );
  assert.deepEqual(buildResources({ cpuShares: 0, cpuQuota: -1 }, NOPRIV).cpu, { quota: -1 });
  assert.throws(() => buildResources({ cpuShares: -2 }, NOPRIV), /invalid CPU shares/);
  assert.throws(() => buildResources({ nanoCpus: 1e9, cpuPeriod: 1000 }, NOPRIV), /Nano CPUs and CPU Period/);
  assert.throws(() => buildResources({ nanoCpus: 1e9, cpuQuota: 1000 }, NOPRIV), /Nano CPUs and CPU Quota/);
});

test("resources: pids and blkio", () => {
  assert.equal(buildResources({}, NOPRIV).pids, undefined);
  assert.deepEqual(buildResources({ pidsLimit: 100 }, NOPRIV).pids, { limit: 100 });
  assert.deepEqual(buildResources({ pidsLimit: 0 }, NOPRIV).pids, { limit: -1 });
  assert.deepEqual(buildResources({ pidsLimit: -1 }, NOPRIV).pids, { limit: -1 });
  assert.equal(buildResources({ blkioWeight: 0 }, NOPRIV).blockIO, undefined);
  assert.deepEqual(buildResources({ blkioWeight: 300 }, NOPRIV).blockIO, { weight: 300 });
});

test("annotations are copied", () => {
  const s = buildRuntimeSpec(input({ annotations: { "org.example": "1" } }));
  assert.deepEqual(s.annotations, { "org.example": "1" });
  assert.equal(buildRuntimeSpec(input()).annotations, undefined);
});

test("the spec does not share arrays with the input", () => {
  const inp = input({
    args: ["a"],
    mounts: [{ destination: "/m", source: "/s", type: "bind", options: ["rbind"] }],
  });
  const s = buildRuntimeSpec(inp);
  s.process!.args.push("b");
  mount(s, "/m")!.options!.push("ro");
  assert.deepEqual(inp.args, ["a"]);
  assert.deepEqual(inp.mounts[0]!.options, ["rbind"]);
});

test("joining another container's PID and IPC namespaces; a shared /dev/shm; IPC none", () => {
  const joined = buildRuntimeSpec(
    input({
      pidMode: { joinPid: 42 },
      ipcMode: { joinPid: 43 },
      sharedShm: "/b/shm",
      init: { hostPath: "/tini" },
    }),
  );
  const ns = joined.linux?.namespaces ?? [];
  assert.deepEqual(
    ns.find((n) => n.type === "pid"),
    { type: "pid", path: "/proc/42/ns/pid" },
  );
  assert.deepEqual(
    ns.find((n) => n.type === "ipc"),
    { type: "ipc", path: "/proc/43/ns/ipc" },
  );
  const shm = joined.mounts?.filter((m) => m.destination === "/dev/shm");
  assert.deepEqual(shm, [
    { destination: "/dev/shm", type: "bind", source: "/b/shm", options: ["rbind", "rprivate"] },
  ]);
  // The init runs only in a PID namespace of the container's own, as in Docker.
  assert.equal(joined.process?.args?.[0], "sh");
  const none = buildRuntimeSpec(input({ ipcMode: "none" }));
  assert.ok(none.linux?.namespaces?.some((n) => n.type === "ipc" && !n.path));
  assert.equal(
    none.mounts?.some((m) => m.destination === "/dev/shm"),
    false,
  );
});

test("--device nodes and rules, and per-device block I/O, go into the spec unless privileged", () => {
  const spec = buildRuntimeSpec(
    input({
      devices: [{ type: "c", path: "/dev/x", major: 10, minor: 237 }],
      deviceRules: [{ allow: true, type: "c", major: 10, minor: 237, access: "r" }],
      blockIO: { throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1024 }] },
    }),
  );
  assert.deepEqual(spec.linux?.devices, [{ type: "c", path: "/dev/x", major: 10, minor: 237 }]);
  assert.deepEqual(spec.linux?.resources?.devices?.at(-1), {
    allow: true,
    type: "c",
    major: 10,
    minor: 237,
    access: "r",
  });
  assert.deepEqual(spec.linux?.resources?.blockIO, {
    throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1024 }],
  });
});
