import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bytesSize,
  containerStatus,
  ellipsis,
  humanDuration,
  humanSize,
  parseBytes,
  portsColumn,
  relativeTime,
  shortenCommand,
  truncateId,
} from "../../../../src/cli/format/humanize.ts";

test("humanDuration has go-units' thresholds (checked against go-units)", () => {
  const cases: Array<[number, string]> = [
    [-5, "Less than a second"],
    [0.999, "Less than a second"],
    [1, "1 second"],
    [1.9, "1 second"],
    [2, "2 seconds"],
    [59.9, "59 seconds"],
    [60, "About a minute"],
    [119, "About a minute"],
    [120, "2 minutes"],
    [3599, "59 minutes"],
    [3600, "About an hour"],
    [5399, "About an hour"],
    [5400, "2 hours"],
    [86399, "24 hours"],
    [169199, "47 hours"],
    [172799, "2 days"], // hours round: 47.99 → 48,
    [172800, "2 days"],
    [1209599, "2 weeks"],
    [1209600, "2 weeks"],
    [1209600 - 3600, "13 days"],
    [5183999, "2 months"],
    [5184000, "2 months"],
    [63071999, "1 years"], // go-units: the years branch truncates,
    [63072000, "2 years"],
    [315360000, "10 years"],
  ];
  for (const [s, expected] of cases) assert.equal(humanDuration(s), expected, `${s}s`);
});

test("relativeTime is the CREATED column", () => {
  const now = new Date("2024-05-01T12:00:00Z");
  const t = now.getTime() / 1000;
  assert.equal(relativeTime(t - 5, now), "5 seconds ago");
  assert.equal(relativeTime(t - 90, now), "About a minute ago");
  assert.equal(relativeTime(t - 7200, now), "2 hours ago");
  assert.equal(relativeTime(t + 30, now), "Less than a second ago");
});

test("humanSize and bytesSize (checked against go-units)", () => {
  const cases: Array<[number, string, string]> = [
    [0, "0B", "0B"],
    [999, "999B", "999B"],
    [1000, "1kB", "1000B"],
    [1024, "1.02kB", "1KiB"],
    [1125, "1.12kB", "1.099KiB"], // 1.125 rounds half to even
    [12345, "12.3kB", "12.06KiB"],
    [999500, "1e+03kB", "976.1KiB"], // go-units' own quirk
    [4194304, "4.19MB", "4MiB"],
    [123456789, "123MB", "117.7MiB"],
    [1500000000, "1.5GB", "1.397GiB"],
    [1610612736, "1.61GB", "1.5GiB"],
    [524288, "524kB", "512KiB"],
    [5.5, "5.5B", "5.5B"],
  ];
  for (const [n, dec, bin] of cases) {
    assert.equal(humanSize(n), dec, `humanSize(${n})`);
    assert.equal(bytesSize(n), bin, `bytesSize(${n})`);
  }
});

test("parseBytes follows units.RAMInBytes", () => {
  const ok: Array<[string, number]> = [
    ["100", 100],
    ["32b", 32],
    ["32B", 32],
    ["512k", 512 * 1024],
    ["32K", 32 * 1024],
    ["32kb", 32 * 1024],
    ["32Kib", 32 * 1024],
    ["32KIB", 32 * 1024],
    ["64m", 64 * 1024 ** 2],
    ["64mb", 64 * 1024 ** 2],
    ["1g", 1024 ** 3],
    ["1.5g", 1.5 * 1024 ** 3],
    ["32Tb", 32 * 1024 ** 4],
    ["2P", 2 * 1024 ** 5],
    ["32.3", 32],
    ["32.3 mb", Math.trunc(32.3 * 1024 ** 2)],
    ["0.3MB", Math.trunc(0.3 * 1024 ** 2)],
    ["1e3", 1000],
  ];
  for (const [s, n] of ok) assert.equal(parseBytes(s), n, s);
  assert.throws(() => parseBytes(""), { message: "invalid size: ''" });
  assert.throws(() => parseBytes("hello"), { message: "invalid size: 'hello'" });
  assert.throws(() => parseBytes("-32"), { message: "invalid size: '-32'" });
  assert.throws(() => parseBytes("32bm"), { message: "invalid suffix: 'bm'" });
  assert.throws(() => parseBytes("64x"), { message: "invalid suffix: 'x'" });
  assert.throws(() => parseBytes("1kbb"), { message: "invalid suffix: 'kbb'" });
  assert.throws(() => parseBytes("1gigs"), { message: "invalid suffix: 'gigs'" });
  assert.throws(() => parseBytes(" 32 "), { message: 'strconv.ParseFloat: parsing " 32": invalid syntax' });
  assert.throws(() => parseBytes("32m b"), { message: 'strconv.ParseFloat: parsing "32m": invalid syntax' });
  assert.throws(() => parseBytes("1.2.3"), {
    message: 'strconv.ParseFloat: parsing "1.2.3": invalid syntax',
  });
});

test("containerStatus is moby's State.String()", () => {
  const now = new Date("2024-05-01T12:00:00Z");
  const zero = "0001-01-01T00:00:00Z";
  const base = {
    Status: "running",
    Running: true,
    Paused: false,
    Restarting: false,
    ExitCode: 0,
    StartedAt: "2024-05-01T11:59:55.123456789Z",
    FinishedAt: zero,
  };
  assert.equal(containerStatus(base, now), "Up 4 seconds");
  assert.equal(
    containerStatus({ ...base, StartedAt: "2024-05-01T11:58:00Z", Paused: true }, now),
    "Up 2 minutes (Paused)",
  );
  assert.equal(
    containerStatus({ ...base, StartedAt: "2024-05-01T09:00:00Z", Health: { Status: "healthy" } }, now),
    "Up 3 hours (healthy)",
  );
  assert.equal(
    containerStatus({ ...base, Health: { Status: "starting" } }, now),
    "Up 4 seconds (health: starting)",
  );
  assert.equal(
    containerStatus({ ...base, Health: { Status: "unhealthy" } }, now),
    "Up 4 seconds (unhealthy)",
  );
  assert.equal(
    containerStatus(
      { ...base, Status: "restarting", Restarting: true, ExitCode: 1, FinishedAt: "2024-05-01T11:59:58Z" },
      now,
    ),
    "Restarting (1) 2 seconds ago",
  );
  const stopped = {
    ...base,
    Status: "exited",
    Running: false,
    ExitCode: 3,
    FinishedAt: "2024-05-01T11:59:50Z",
  };
  assert.equal(containerStatus(stopped, now), "Exited (3) 10 seconds ago");
  assert.equal(
    containerStatus({ ...stopped, FinishedAt: "2024-04-28T12:00:00Z", ExitCode: 137 }, now),
    "Exited (137) 3 days ago",
  );
  assert.equal(
    containerStatus({ ...stopped, Status: "created", StartedAt: zero, FinishedAt: zero }, now),
    "Created",
  );
  assert.equal(
    containerStatus({ ...stopped, Status: "created", StartedAt: "", FinishedAt: "" }, now),
    "Created",
  );
  assert.equal(containerStatus({ ...stopped, Status: "removing" }, now), "Removal In Progress");
  assert.equal(containerStatus({ ...stopped, Status: "dead" }, now), "Dead");
  assert.equal(containerStatus({ ...stopped, FinishedAt: zero }, now), "");
});

test("truncateId", () => {
  assert.equal(
    truncateId("sha256:4bcdffd70da292293d059d2435c7056711fab2655f8b74f48ad0abe042b63687"),
    "4bcdffd70da2",
  );
  assert.equal(
    truncateId("4bcdffd70da292293d059d2435c7056711fab2655f8b74f48ad0abe042b63687"),
    "4bcdffd70da2",
  );
  assert.equal(truncateId("abc"), "abc");
});

test("shortenCommand: ellipsis at 20 columns, then Go quoting", () => {
  assert.equal(shortenCommand("sh -c 'echo hi'"), `"sh -c 'echo hi'"`);
  assert.equal(shortenCommand("/docker-entrypoint.sh nginx -g 'daemon off;'"), '"/docker-entrypoint.…"');
  assert.equal(shortenCommand("12345678901234567890"), '"12345678901234567890"');
  assert.equal(shortenCommand("123456789012345678901"), '"1234567890123456789…"');
  assert.equal(shortenCommand('echo "quoted" \\ back'), '"echo \\"quoted\\" \\\\ back"');
  assert.equal(shortenCommand("a\tb"), '"a\\tb"');
  assert.equal(
    shortenCommand("/bin/sh -c 'while true; do sleep 1; done'", Number.POSITIVE_INFINITY),
    `"/bin/sh -c 'while true; do sleep 1; done'"`,
  );
  assert.equal(shortenCommand(""), '""');
});

test("ellipsis counts East Asian wide characters as two columns", () => {
  assert.equal(ellipsis("日本語名前です", 6), "日本…");
  assert.equal(ellipsis("a日b", 3), "a…");
  assert.equal(ellipsis("日本", 4), "日本");
  assert.equal(ellipsis("abc", 1), "a");
  assert.equal(ellipsis("abc", 0), "");
});

test("portsColumn as docker ps PORTS (checked against the docker CLI)", () => {
  assert.equal(portsColumn([]), "");
  assert.equal(portsColumn([{ PrivatePort: 80, Type: "tcp" }]), "80/tcp");
  assert.equal(
    portsColumn([
      { IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
      { IP: "::", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
    ]),
    "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
  );
  assert.equal(
    portsColumn([
      { PrivatePort: 8082, Type: "tcp" },
      { PrivatePort: 8080, Type: "tcp" },
      { PrivatePort: 8081, Type: "tcp" },
      { PrivatePort: 53, Type: "udp" },
    ]),
    "53/udp, 8080-8082/tcp",
  );
  assert.equal(
    portsColumn([
      { IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
      { IP: "::", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
      { PrivatePort: 443, Type: "tcp" },
      { PrivatePort: 444, Type: "tcp" },
      { PrivatePort: 445, Type: "tcp" },
      { PrivatePort: 53, Type: "udp" },
      { IP: "0.0.0.0", PrivatePort: 9000, PublicPort: 9000, Type: "tcp" },
      { IP: "0.0.0.0", PrivatePort: 9001, PublicPort: 9001, Type: "tcp" },
      { IP: "0.0.0.0", PrivatePort: 9003, PublicPort: 9003, Type: "tcp" },
      { IP: "127.0.0.1", PrivatePort: 22, PublicPort: 2222, Type: "tcp" },
    ]),
    "0.0.0.0:9000-9001->9000-9001/tcp, 53/udp, 443-445/tcp, 0.0.0.0:9003->9003/tcp, 127.0.0.1:2222->22/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
  );
});
