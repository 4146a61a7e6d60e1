// Compose features beyond the basics, against a real wharfd: volume subpath, secrets and
// configs from environment/content, run --service-ports / -p, up --attach / --no-attach,
// depends_on restart: true. Projects of the local busybox image; everything is torn down.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose interpolation in the fixtures
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { EngineClient } from "../../../src/client/engine-client.ts";
import { bodyWhenUp } from "../../helpers/http.ts";
import type { Daemon } from "../cli/harness.ts";
import { ComposeFixture, compose, spawnCompose } from "./helpers.ts";

describe("compose spec extras against wharfd", {
  skip: process.getuid?.() !== 0 ? "needs root" : false,
  concurrency: false,
}, () => {
  const fx = new ComposeFixture();
  let daemon: Daemon;
  let client: EngineClient;
  const dir = (files: Record<string, string>, name: string) => fx.dir(files, name);
  /** The exit code of a project container, once it has exited. */
  const exitOf = async (name: string) =>
    (await (await client.containerWait(name, "not-running")).result).StatusCode;
  const logsOf = async (d: string, service: string) =>
    (await compose(daemon.host, d, ["logs", "--no-log-prefix", service])).stdout;

  before(async () => {
    await fx.start();
    daemon = fx.daemon;
    client = fx.client;
  });

  after(() => fx.stop());

  test("volume subpath: the service sees only that part of the named volume", async () => {
    const d = dir(
      {
        "compose.yaml": `
services:
  seed:
    image: busybox
    command: sh -c 'mkdir -p /v/sub && echo in-sub > /v/sub/f && echo at-root > /v/top'
    volumes: [data:/v]
  reader:
    image: busybox
    command: sh -c 'ls /s; cat /s/f'
    depends_on:
      seed: { condition: service_completed_successfully }
    volumes:
      - type: volume
        source: data
        target: /s
        read_only: true
        volume: { subpath: sub }
volumes:
  data: {}
`,
      },
      "subp",
    );
    const up = await compose(daemon.host, d, ["up", "-d"]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(await exitOf("subp-reader-1"), 0);
    assert.equal(await logsOf(d, "reader"), "f\nin-sub\n");
    const info = await client.containerInspect("subp-reader-1");
    assert.deepEqual((info.HostConfig as { Mounts?: unknown[] }).Mounts, [
      {
        Type: "volume",
        Source: "subp_data",
        Target: "/s",
        ReadOnly: true,
        VolumeOptions: { Subpath: "sub" },
      },
    ]);
    assert.equal((await compose(daemon.host, d, ["down", "-v", "-t", "1"])).code, 0);
  });

  test("run: no service ports by default, --service-ports keeps them, -p publishes its own", async () => {
    const d = dir(
      {
        "compose.yaml": `
services:
  web:
    image: busybox
    command: sh -c 'mkdir -p /www && echo hello-run > /www/index.html && exec httpd -f -p 80 -h /www'
    ports: ["127.0.0.1::80"]
`,
      },
      "runports",
    );
    const started: string[] = [];
    const run = async (...args: string[]) => {
      const r = await compose(daemon.host, d, ["run", "-d", ...args]);
      assert.equal(r.code, 0, r.stderr);
      const name = r.stdout.trim();
      started.push(name);
      return client.containerInspect(name);
    };
    try {
      const plain = await run("web");
      assert.deepEqual(plain.HostConfig.PortBindings ?? {}, {});
      const service = await run("--service-ports", "web");
      assert.deepEqual(service.HostConfig.PortBindings, {
        "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
      });
      const ports = (
        service.NetworkSettings as { Ports?: Record<string, Array<{ HostPort: string }> | null> }
      ).Ports;
      const port = ports?.["80/tcp"]?.[0]?.HostPort;
      assert.ok(port, JSON.stringify(ports));
      const body = await bodyWhenUp(`http://127.0.0.1:${port}/`);
      assert.equal(body, "hello-run\n");
      const own = await run("-p", "127.0.0.1::8080", "web", "sleep", "30");
      assert.deepEqual(own.HostConfig.PortBindings, { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] });
      const both = await compose(daemon.host, d, ["run", "-d", "--service-ports", "-p", "81:81", "web"]);
      assert.equal(both.code, 1);
      assert.match(both.stderr, /--service-ports and --publish are incompatible/);
    } finally {
      for (const name of started) await client.containerRemove(name, { force: true }).catch(() => undefined);
    }
  });

  test("up --attach / --no-attach: only those services' logs are streamed; all of them run and stop", async () => {
    const d = dir(
      {
        "compose.yaml": `
services:
  talker:
    image: busybox
    command: sh -c 'echo talker-up; trap "exit 0" TERM; while true; do sleep 0.2; done'
  quiet:
    image: busybox
    command: sh -c 'echo quiet-up; trap "exit 0" TERM; while true; do sleep 0.2; done'
`,
      },
      "attach",
    );
    const names = ["attach-talker-1", "attach-quiet-1"];
    const running = async () => {
      const states = await Promise.all(
        names.map(async (n) => (await client.containerInspect(n)).State.Running),
      );
      return states.every(Boolean);
    };
    /** Foreground up until both containers run and `seen` is printed, then Ctrl-C. */
    const foreground = async (args: string[], seen: RegExp) => {
      const up = spawnCompose(daemon.host, d, ["up", ...args], { stdin: "ignore" });
      try {
        // Both services have printed their line (their logs say so), up has streamed `seen`, and
        // both containers run (a rerun's logs already hold the lines of the run before).
        const printed = async () => {
          const logs = (await compose(daemon.host, d, ["logs", "--no-log-prefix"])).stdout;
          return logs.includes("talker-up") && logs.includes("quiet-up");
        };
        const ready = async () =>
          seen.test(up.stdout()) && (await printed()) && (await running().catch(() => false));
        const deadline = Date.now() + 30_000;
        while (!(await ready()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
        assert.ok(await printed(), up.stderr());
        for (const name of names)
          assert.equal((await client.containerInspect(name)).State.Running, true, name);
        up.child.kill("SIGINT");
        assert.equal(await up.closed, 130, up.stderr());
        for (const name of names)
          assert.equal(
            (await client.containerInspect(name)).State.Running,
            false,
            `${name} stopped by Ctrl-C`,
          );
        return up.stdout();
      } finally {
        up.child.kill("SIGKILL"); // a failed check must not leave up running
      }
    };
    const noAttach = await foreground(["--no-attach", "quiet"], /^attach-talker-1 +\| talker-up$/m);
    assert.doesNotMatch(noAttach, /quiet-up/);
    const onlyQuiet = await foreground(["--attach", "quiet"], /^attach-quiet-1 +\| quiet-up$/m);
    assert.doesNotMatch(onlyQuiet, /talker-up/);
    const none = await foreground(["--no-attach", "quiet", "--no-attach", "talker"], /^/);
    assert.doesNotMatch(none, /-up$/m);

    // With nothing attached, up also ends once every container has stopped by other means.
    const up = spawnCompose(daemon.host, d, ["up", "--no-attach", "quiet", "--no-attach", "talker"], {
      stdin: "ignore",
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!(await running().catch(() => false)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      for (const name of names) await client.containerStop(name, { timeout: 1 });
      assert.equal(await up.closed, 0, up.stderr());
    } finally {
      up.child.kill("SIGKILL");
    }
    assert.equal((await compose(daemon.host, d, ["down", "-t", "1"])).code, 0);
  });

  test("secrets and configs from environment and content are written into the container before it starts", async () => {
    const d = dir(
      {
        "compose.yaml": `
services:
  app:
    image: busybox
    command: sh -c 'for f in /run/secrets/token /run/secrets/renamed /etc/app.conf /motd; do stat -c "%n %a %u:%g" $$f; cat $$f; echo; done'
    secrets:
      - token
      - source: token
        target: renamed
        mode: 0400
        uid: "1000"
        gid: "1001"
    configs:
      - source: conf
        target: /etc/app.conf
      - motd
secrets:
  token:
    environment: APP_TOKEN
configs:
  conf:
    content: |
      name=\${PROJECT_NAME}
  motd:
    environment: MOTD
`,
        ".env": "APP_TOKEN=s3cret\nMOTD=hello\nPROJECT_NAME=demo\n",
      },
      "inject",
    );
    const up = await compose(daemon.host, d, ["up", "-d"]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(await exitOf("inject-app-1"), 0);
    assert.equal(
      await logsOf(d, "app"),
      [
        "/run/secrets/token 444 0:0",
        "s3cret",
        "/run/secrets/renamed 400 1000:1001",
        "s3cret",
        "/etc/app.conf 444 0:0",
        "name=demo",
        "",
        "/motd 444 0:0",
        "hello",
        "",
      ].join("\n"),
    );
    const run = await compose(daemon.host, d, ["run", "--rm", "-T", "app", "cat", "/run/secrets/token"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "s3cret");
    assert.equal((await compose(daemon.host, d, ["down", "-t", "1"])).code, 0);

    // Set but empty: compose v2 writes no file for it (and the others as before).
    const empty = await compose(daemon.host, d, ["up", "-d"], { env: { APP_TOKEN: "" } });
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(await exitOf("inject-app-1"), 0);
    const logs = await logsOf(d, "app");
    assert.match(logs, /can't stat '\/run\/secrets\/token'/);
    assert.match(logs, /\/motd 444 0:0\nhello\n/);
    assert.equal((await compose(daemon.host, d, ["down", "-t", "1"])).code, 0);
  });

  test("a secret whose environment variable is unset is named, and nothing is created", async () => {
    const d = dir(
      {
        "compose.yaml": `
services:
  app:
    image: busybox
    command: "true"
    secrets: [token]
secrets:
  token:
    environment: NOT_SET_ANYWHERE
`,
      },
      "unset",
    );
    const up = await compose(daemon.host, d, ["up", "-d"]);
    assert.equal(up.code, 1);
    assert.match(up.stderr, /environment variable "NOT_SET_ANYWHERE" required by secret "token" is not set/);
    const left = await client.containerList({
      all: true,
      filters: new Map([["label", ["com.docker.compose.project=unset"]]]),
    });
    assert.deepEqual(left, []);
    assert.equal((await compose(daemon.host, d, ["down"])).code, 0);
  });

  test("depends_on restart: true — the dependent restarts when its dependency is restarted or recreated", async () => {
    const files = (version: string) => ({
      "compose.yaml": `
services:
  db:
    image: busybox
    command: sh -c 'trap "exit 0" TERM; while true; do sleep 0.2; done'
    environment: { VERSION: "\${VERSION}" }
  app:
    image: busybox
    command: sh -c 'trap "exit 0" TERM; while true; do sleep 0.2; done'
    depends_on:
      db: { condition: service_started, restart: true }
  other:
    image: busybox
    command: sh -c 'trap "exit 0" TERM; while true; do sleep 0.2; done'
    depends_on: [db]
`,
      ".env": `VERSION=${version}\n`,
    });
    const d = dir(files("1"), "rdeps");
    const started = async () => {
      const out: Record<string, string> = {};
      for (const s of ["db", "app", "other"]) {
        const info = await client.containerInspect(`rdeps-${s}-1`);
        assert.equal(info.State.Running, true, s);
        out[s] = `${info.Id}@${info.State.StartedAt}`;
      }
      return out;
    };
    assert.equal((await compose(daemon.host, d, ["up", "-d"])).code, 0);
    const first = await started();

    const restart = await compose(daemon.host, d, ["restart", "-t", "1", "db"]);
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(restart.stderr, / Container rdeps-app-1 {2}Restarting\n/);
    assert.doesNotMatch(restart.stderr, /rdeps-other-1/);
    const second = await started();
    assert.notEqual(second.db, first.db);
    assert.notEqual(second.app, first.app, "app restarted with db");
    assert.equal(second.other, first.other, "a plain dependent is left alone");

    const noDeps = await compose(daemon.host, d, ["restart", "--no-deps", "-t", "1", "db"]);
    assert.equal(noDeps.code, 0, noDeps.stderr);
    const third = await started();
    assert.equal(third.app, second.app, "--no-deps restarts db alone");

    // db's configuration changes: up recreates it, and restarts app (same container).
    writeFileSync(`${d}/.env`, "VERSION=2\n");
    const up = await compose(daemon.host, d, ["up", "-d", "-t", "1"]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, / Container rdeps-db-1 {2}Recreate\n/);
    assert.match(up.stderr, / Container rdeps-app-1 {2}Restarting\n/);
    const fourth = await started();
    assert.notEqual(fourth.db.split("@")[0], third.db.split("@")[0], "db recreated");
    assert.equal(fourth.app.split("@")[0], third.app.split("@")[0], "app kept its container");
    assert.notEqual(fourth.app, third.app, "app restarted");
    assert.equal(fourth.other, third.other);

    const again = await compose(daemon.host, d, ["up", "-d"]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /Restarting/, "nothing recreated: nothing restarted");
    assert.equal((await compose(daemon.host, d, ["down", "-t", "1"])).code, 0);
  });
});
