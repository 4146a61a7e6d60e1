// The create body for run/create flags; the expectations are what the docker 28.2 CLI sent
// for the same command lines (captured with a logging server).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { buildContainerConfig, emptyEndpoint } from "../../../src/cli/container-config.ts";
import { containerFlags, runOnlyFlags } from "../../../src/cli/container-flags.ts";
import { parseFlags } from "../../../src/cli/flags.ts";

const dir = mkdtempSync(join(tmpdir(), "wharf-cli-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function build(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const { flags, args } = parseFlags(argv, [...containerFlags, ...runOnlyFlags], { interspersed: false });
  return buildContainerConfig(flags, args, env);
}

const hc = (argv: string[], env?: NodeJS.ProcessEnv) =>
  build(argv, env).body.HostConfig as Record<string, unknown>;

test("resources: memory, swap, cpus, shares, pids", () => {
  const h = hc([
    "-m",
    "64m",
    "--memory-swap",
    "128m",
    "--cpus",
    "0.5",
    "--cpu-shares",
    "512",
    "--pids-limit",
    "50",
    "busybox",
  ]);
  assert.equal(h.Memory, 67108864);
  assert.equal(h.MemorySwap, 134217728);
  assert.equal(h.NanoCpus, 500000000);
  assert.equal(h.CpuShares, 512);
  assert.equal(h.PidsLimit, 50);
  assert.equal(hc(["--memory-swap", "-1", "busybox"]).MemorySwap, -1);
  assert.equal(hc(["--cpus", "0.001", "busybox"]).NanoCpus, 1000000);
  assert.equal(hc(["--cpus", "3/2", "busybox"]).NanoCpus, 1500000000);
});

test("restart policies", () => {
  assert.deepEqual(hc(["--restart", "on-failure:3", "busybox"]).RestartPolicy, {
    Name: "on-failure",
    MaximumRetryCount: 3,
  });
  assert.deepEqual(hc(["--restart", "always", "busybox"]).RestartPolicy, {
    Name: "always",
    MaximumRetryCount: 0,
  });
  assert.deepEqual(hc(["busybox"]).RestartPolicy, { Name: "no", MaximumRetryCount: 0 });
  assert.throws(() => build(["--restart", "on-failure:x", "busybox"]), {
    message: "invalid restart policy format: maximum retry count must be an integer",
  });
  assert.throws(() => build(["--rm", "--restart", "always", "busybox"]), {
    message: "conflicting options: cannot specify both --restart and --rm",
  });
});

test("-e NAME takes its value from the environment, env files come first", () => {
  const file = join(dir, "env.list");
  writeFileSync(file, "A=1\n# comment\nB\n\nC=x y\nHOME_ONLY\n");
  const body = build(["--env-file", file, "-e", "FOO=bar", "-e", "BAZ", "-e", "NOTSET", "busybox"], {
    BAZ: "qux",
    HOME_ONLY: "h",
  }).body;
  assert.deepEqual(body.Env, ["A=1", "C=x y", "HOME_ONLY=h", "FOO=bar", "BAZ=qux", "NOTSET"]);
  assert.equal(build(["busybox"]).body.Env, null);
});

test("labels from files and flags, sorted as Go marshals maps", () => {
  const file = join(dir, "labels");
  writeFileSync(file, "l1=v1\nl2\n");
  const body = build(["--label-file", file, "-l", "zz=1", "-l", "a", "-l", "b=c=d", "busybox"]).body;
  assert.deepEqual(body.Labels, { a: "", b: "c=d", l1: "v1", zz: "1" });
  assert.deepEqual(Object.keys(body.Labels ?? {}), ["a", "b", "l1", "zz"]);
});

test("ulimits, tmpfs, capabilities, sysctls, hosts, dns", () => {
  const h = hc([
    "--ulimit",
    "nofile=1024:2048",
    "--ulimit",
    "core=-1",
    "--tmpfs",
    "/run:size=1m",
    "--tmpfs",
    "/a",
    "--cap-add",
    "NET_ADMIN",
    "--cap-add",
    "all",
    "--cap-drop",
    "chown",
    "--sysctl",
    "net.ipv4.ip_forward=1",
    "--add-host",
    "a:1.2.3.4",
    "--dns",
    "1.1.1.1",
    "--security-opt",
    "no-new-privileges",
    "--init",
    "--privileged",
    "--read-only",
    "busybox",
  ]);
  assert.deepEqual(h.Ulimits, [
    { Name: "core", Hard: -1, Soft: -1 },
    { Name: "nofile", Hard: 2048, Soft: 1024 },
  ]);
  assert.deepEqual(h.Tmpfs, { "/a": "", "/run": "size=1m" });
  assert.deepEqual(h.CapAdd, ["CAP_NET_ADMIN", "ALL"]);
  assert.deepEqual(h.CapDrop, ["CAP_CHOWN"]);
  assert.deepEqual(h.Sysctls, { "net.ipv4.ip_forward": "1" });
  assert.deepEqual(h.ExtraHosts, ["a:1.2.3.4"]);
  assert.deepEqual(h.Dns, ["1.1.1.1"]);
  assert.deepEqual(h.SecurityOpt, ["no-new-privileges"]);
  assert.equal(h.Init, true);
  assert.equal(h.Privileged, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.equal("Init" in hc(["busybox"]), false);
  assert.equal(hc(["--init=false", "busybox"]).Init, false);
});

test("-p/--expose into ExposedPorts and PortBindings", () => {
  const o = build([
    "-p",
    "8080:80",
    "-p",
    "127.0.0.1:5000-5001:6000-6001/udp",
    "-p",
    "7000",
    "--expose",
    "81",
    "busybox",
  ]);
  assert.deepEqual(o.body.ExposedPorts, {
    "6000/udp": {},
    "6001/udp": {},
    "7000/tcp": {},
    "80/tcp": {},
    "81/tcp": {},
  });
  assert.deepEqual(o.body.HostConfig?.PortBindings, {
    "6000/udp": [{ HostIp: "127.0.0.1", HostPort: "5000" }],
    "6001/udp": [{ HostIp: "127.0.0.1", HostPort: "5001" }],
    "7000/tcp": [{ HostIp: "", HostPort: "" }],
    "80/tcp": [{ HostIp: "", HostPort: "8080" }],
  });
  assert.equal("ExposedPorts" in build(["busybox"]).body, false);
  assert.throws(() => build(["-p", "abc", "busybox"]), { message: "invalid containerPort: abc" });
});

test("-v: sources go to Binds, lone paths to Volumes", () => {
  const o = build(["-v", "/h:/c", "-v", "named:/d:ro", "-v", "/anon", "busybox"]);
  assert.deepEqual(o.body.HostConfig?.Binds, ["/h:/c", "named:/d:ro"]);
  assert.deepEqual(o.body.Volumes, { "/anon": {} });
  assert.equal(build(["busybox"]).body.HostConfig?.Binds, null);
  assert.throws(() => build(["-v", "", "busybox"]), { message: "invalid empty volume spec" });
  assert.deepEqual(build(["--mount", "type=tmpfs,target=/x", "busybox"]).body.HostConfig?.Mounts, [
    { Type: "tmpfs", Target: "/x" },
  ]);
});

test("--network: NetworkMode plus EndpointsConfig as the CLI sends them", () => {
  const none = build(["busybox"]).body;
  assert.equal(none.HostConfig?.NetworkMode, "default");
  assert.deepEqual(none.NetworkingConfig, { EndpointsConfig: { default: emptyEndpoint() } });
  const one = build(["--network", "mynet", "busybox"]).body;
  assert.equal(one.HostConfig?.NetworkMode, "mynet");
  assert.deepEqual(one.NetworkingConfig, { EndpointsConfig: {} });
  const aliased = build(["--network", "a", "--network", "b", "--network-alias", "x", "busybox"]).body;
  assert.equal(aliased.HostConfig?.NetworkMode, "a");
  assert.deepEqual(aliased.NetworkingConfig, {
    EndpointsConfig: { a: emptyEndpoint(["x"]), b: emptyEndpoint() },
  });
  assert.throws(() => build(["--network", "bridge", "--network-alias", "x", "busybox"]), {
    message: "network-scoped aliases are only supported for user-defined networks",
  });
  assert.deepEqual(build(["--network", "host", "busybox"]).body.NetworkingConfig, { EndpointsConfig: {} });
});

test("attach streams, stdin, tty, command and entrypoint", () => {
  const plain = build(["busybox", "echo", "hi"]).body;
  assert.deepEqual(
    [plain.AttachStdin, plain.AttachStdout, plain.AttachStderr, plain.OpenStdin, plain.StdinOnce],
    [false, true, true, false, false],
  );
  assert.deepEqual(plain.Cmd, ["echo", "hi"]);
  assert.equal(plain.Entrypoint, null);
  const it = build(["-it", "busybox"]).body;
  assert.deepEqual([it.AttachStdin, it.OpenStdin, it.StdinOnce, it.Tty], [true, true, true, true]);
  const only = build(["-a", "stdout", "busybox"]).body;
  assert.deepEqual([only.AttachStdin, only.AttachStdout, only.AttachStderr], [false, true, false]);
  assert.deepEqual(build(["--entrypoint", "", "busybox"]).body.Entrypoint, [""]);
  assert.deepEqual(build(["--entrypoint", "/bin/sh", "busybox", "-c", "x"]).body.Entrypoint, ["/bin/sh"]);
});

test("scalars: name, user, workdir, hostname, stop signal and timeout, runtime, auto-remove", () => {
  const o = build([
    "--name",
    "x1",
    "-u",
    "nobody",
    "-w",
    "/tmp",
    "-h",
    "hh",
    "--stop-signal",
    "SIGINT",
    "--stop-timeout",
    "5",
    "--runtime",
    "runc",
    "--rm",
    "busybox",
  ]);
  assert.equal(o.name, "x1");
  assert.equal(o.autoRemove, true);
  assert.equal(o.body.User, "nobody");
  assert.equal(o.body.WorkingDir, "/tmp");
  assert.equal(o.body.Hostname, "hh");
  assert.equal(o.body.StopSignal, "SIGINT");
  assert.equal(o.body.StopTimeout, 5);
  assert.equal(o.body.HostConfig?.Runtime, "runc");
  assert.equal(o.body.HostConfig?.AutoRemove, true);
  const bare = build(["busybox"]).body;
  assert.equal("StopTimeout" in bare, false);
  assert.equal("StopSignal" in bare, false);
  assert.equal("Runtime" in (bare.HostConfig ?? {}), false);
});

test("healthchecks in nanoseconds", () => {
  assert.deepEqual(
    build(["--health-cmd", "true", "--health-interval", "1s", "--health-retries", "3", "busybox"]).body
      .Healthcheck,
    {
      Test: ["CMD-SHELL", "true"],
      Interval: 1000000000,
      Retries: 3,
    },
  );
  assert.deepEqual(build(["--no-healthcheck", "busybox"]).body.Healthcheck, { Test: ["NONE"] });
});

test("the default body has docker's fields and values", () => {
  const body = build(["busybox"]).body as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), [
    "Hostname",
    "Domainname",
    "User",
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "Tty",
    "OpenStdin",
    "StdinOnce",
    "Env",
    "Cmd",
    "Image",
    "Volumes",
    "WorkingDir",
    "Entrypoint",
    "OnBuild",
    "Labels",
    "HostConfig",
    "NetworkingConfig",
  ]);
  const h = body.HostConfig as Record<string, unknown>;
  assert.deepEqual(h.LogConfig, { Type: "", Config: {} });
  assert.deepEqual(h.ConsoleSize, [0, 0]);
  assert.equal(h.MemorySwappiness, -1);
  assert.deepEqual(h.Ulimits, []);
  assert.deepEqual(h.DnsOptions, []);
  assert.equal(h.CapAdd, null);
});
