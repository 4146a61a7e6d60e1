import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePorts } from "../../../src/cli/opts/ports.ts";
import {
  normalizeExtraHost,
  parseGoDuration,
  parseNanoCpus,
  parseRestartPolicy,
  parseUlimit,
  validateSysctl,
} from "../../../src/cli/opts/values.ts";
import {
  apiTag,
  familiarString,
  fullName,
  parseNormalizedNamed,
  withDefaultTag,
} from "../../../src/cli/reference.ts";
import { getTimestamp, rfc3339NanoFixed } from "../../../src/cli/timestamps.ts";

test("port specs (nat.ParsePortSpec)", () => {
  // A host range for one container port is a range to allocate from.
  assert.deepEqual(parsePorts(["8000-8001:80"], []).bindings, {
    "80/tcp": [{ HostIp: "", HostPort: "8000-8001" }],
  });
  assert.deepEqual(parsePorts(["[::1]:53:53/udp"], []).bindings, {
    "53/udp": [{ HostIp: "::1", HostPort: "53" }],
  });
  assert.deepEqual(parsePorts(["80", "80"], []).bindings["80/tcp"]?.length, 2);
  assert.deepEqual(parsePorts(["published=8080,target=80"], []).bindings, {
    "80/tcp": [{ HostIp: "", HostPort: "8080" }],
  });
  assert.deepEqual(Object.keys(parsePorts([], ["90-92/udp"]).exposed), ["90/udp", "91/udp", "92/udp"]);
  assert.throws(() => parsePorts(["1.2.3:80:80"], []), { message: "invalid IP address: 1.2.3" });
  assert.throws(() => parsePorts(["80/xyz"], []), { message: "invalid proto: xyz" });
  assert.throws(() => parsePorts(["8000-8002:80-81"], []), {
    message: "invalid ranges specified for container and host Ports: 80-81 and 8000-8002",
  });
  assert.throws(() => parsePorts([], ["1:2"]), { message: "invalid port format for --expose: 1:2" });
});

test("cpus, durations, ulimits, restart, sysctls, hosts", () => {
  assert.equal(parseNanoCpus("1.5"), 1_500_000_000);
  assert.equal(parseNanoCpus("2"), 2_000_000_000);
  assert.throws(() => parseNanoCpus("0.0000000001"), { message: "value is too precise" });
  assert.throws(() => parseNanoCpus("abc"), { message: "failed to parse abc as a rational number" });
  assert.equal(parseGoDuration("1m30s"), 90e9);
  assert.equal(parseGoDuration("500ms"), 5e8);
  assert.equal(parseGoDuration("1.5h"), 5400e9);
  assert.throws(() => parseGoDuration("10"), { message: 'time: missing unit in duration "10"' });
  assert.deepEqual(parseUlimit("nofile=1024:2048"), { Name: "nofile", Hard: 2048, Soft: 1024 });
  assert.deepEqual(parseUlimit("nproc=10"), { Name: "nproc", Hard: 10, Soft: 10 });
  assert.throws(() => parseUlimit("foo"), { message: "invalid ulimit argument: foo" });
  assert.throws(() => parseUlimit("bogus=1"), { message: "invalid ulimit type: bogus" });
  assert.throws(() => parseUlimit("nofile=2:1"), {
    message: "ulimit soft limit must be less than or equal to hard limit: 2 > 1",
  });
  assert.deepEqual(parseRestartPolicy("unless-stopped"), { Name: "unless-stopped", MaximumRetryCount: 0 });
  assert.throws(() => parseRestartPolicy(":3"), /no policy provided before colon/);
  assert.doesNotThrow(() => validateSysctl("net.core.somaxconn=1024"));
  assert.doesNotThrow(() => validateSysctl("kernel.shmmax=1"));
  assert.throws(() => validateSysctl("kernel.panic=1"), {
    message: "sysctl 'kernel.panic=1' is not allowed",
  });
  assert.equal(normalizeExtraHost("db=10.0.0.1"), "db:10.0.0.1");
  assert.equal(normalizeExtraHost("gw:host-gateway"), "gw:host-gateway");
  assert.throws(() => normalizeExtraHost("bad"), { message: 'bad format for add-host: "bad"' });
});

test("image references are normalised like distribution/reference", () => {
  const bb = withDefaultTag(parseNormalizedNamed("busybox"));
  assert.equal(fullName(bb), "docker.io/library/busybox");
  assert.equal(familiarString(bb), "busybox:latest");
  assert.equal(apiTag(bb), "latest");
  const local = parseNormalizedNamed("127.0.0.1:5000/app/x:1");
  assert.deepEqual(local, { domain: "127.0.0.1:5000", path: "app/x", tag: "1", digest: undefined });
  assert.equal(familiarString(local), "127.0.0.1:5000/app/x:1");
  assert.equal(familiarString(parseNormalizedNamed("me/app")), "me/app");
  const digest = `sha256:${"a".repeat(64)}`;
  assert.equal(apiTag(parseNormalizedNamed(`busybox@${digest}`)), digest);
  assert.throws(() => parseNormalizedNamed("Busybox"), {
    message: "invalid reference format: repository name (library/Busybox) must be lowercase",
  });
  assert.throws(() => parseNormalizedNamed("a:b:c"), { message: "invalid reference format" });
  assert.throws(
    () => parseNormalizedNamed("a".repeat(64).replace(/a/g, "f")),
    /cannot specify 64-byte hexadecimal strings/,
  );
});

test("--since/--until values (timetypes.GetTimestamp)", () => {
  const now = new Date("2026-01-02T03:04:05Z");
  assert.equal(getTimestamp("10m", now), String(Math.floor(now.getTime() / 1000) - 600));
  assert.equal(getTimestamp("2026-01-02T03:04:05Z", now), "1767323045.000000000");
  assert.equal(getTimestamp("2026-01-02T03:04:05.5Z", now), "1767323045.500000000");
  assert.equal(getTimestamp("1767323045", now), "1767323045");
  assert.equal(getTimestamp("1767323045.25", now), "1767323045.25");
  assert.throws(() => getTimestamp("yesterday", now), /failed to parse value as time or duration/);
});

test("event times print with nanoseconds", () => {
  const tz = process.env.TZ;
  process.env.TZ = "UTC";
  try {
    assert.equal(rfc3339NanoFixed(1795432683471386000n), "2026-11-23T11:18:03.471386000Z");
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});
