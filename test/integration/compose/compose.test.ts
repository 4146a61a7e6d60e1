// `wharf compose` against a real wharfd: projects made of the local busybox image, driven
// through the CLI as a user would, checked through the engine API (names, labels, env, order),
// and torn down to nothing.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose interpolation in the fixtures
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { EngineClient } from "../../../src/client/engine-client.ts";
import type { ContainerSummary } from "../../../src/wire/containers.ts";
import type { Daemon } from "../cli/harness.ts";
import { ComposeFixture, capabilities, compose, spawnCompose } from "./helpers.ts";

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return "needs root (wharfd runs containers)";
  for (const tool of ["runc", "conmon"]) {
    try {
      execFileSync(tool, ["--version"], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed`;
    }
  }
  try {
    execFileSync("/bin/busybox", ["true"], { stdio: "ignore" });
  } catch {
    return "needs /bin/busybox (apt-get install busybox-static)";
  }
  return false;
}

const app = `
services:
  db:
    image: busybox
    command: ["sh", "-c", "echo db ready; exec sleep 300"]
    environment:
      ROLE: database
    labels:
      tier: data
  api:
    image: busybox
    command: sh -c 'echo api $$GREETING; exec sleep 300'
    environment:
      - GREETING=\${GREETING:-hello}
      - TAG=\${TAG}
    depends_on: [db]
    restart: unless-stopped
  web:
    image: busybox:\${BB_TAG:-latest}
    command: sleep 300
    depends_on:
      api:
        condition: service_started
`;

describe("wharf compose against wharfd", { skip: skipReason(), concurrency: false }, () => {
  const fx = new ComposeFixture();
  let daemon: Daemon;
  let client: EngineClient;
  const dir = (files: Record<string, string>, name?: string) => fx.dir(files, name);
  const listProject = async (project: string): Promise<ContainerSummary[]> =>
    (
      await client.containerList({
        all: true,
        filters: new Map([["label", [`com.docker.compose.project=${project}`]]]),
      })
    ).sort((a, b) => ((a.Names[0] ?? "") < (b.Names[0] ?? "") ? -1 : 1));
  const names = (list: ContainerSummary[]) => list.map((c) => (c.Names[0] ?? "").slice(1));

  before(async () => {
    await fx.start();
    daemon = fx.daemon;
    client = fx.client;
  });

  after(() => fx.stop());

  test("up -d: containers named and labelled as compose does, env from .env, dependency order", async () => {
    const d = dir({ "compose.yaml": app, ".env": "GREETING=from-dotenv\nTAG=v1\n" }, "My.App");
    const r = await compose(daemon.host, d, ["up", "-d"]);
    assert.equal(r.code, 0, r.stderr);
    const list = await listProject("myapp");
    assert.deepEqual(names(list), ["myapp-api-1", "myapp-db-1", "myapp-web-1"]);
    for (const c of list) assert.equal(c.State, "running", `${c.Names[0]} ${c.Status}`);
    const api = await client.containerInspect("myapp-api-1");
    assert.ok(api.Config.Env?.includes("GREETING=from-dotenv"), String(api.Config.Env));
    assert.ok(api.Config.Env?.includes("TAG=v1"));
    assert.deepEqual(api.Config.Cmd, ["sh", "-c", "echo api $GREETING; exec sleep 300"]);
    assert.equal(api.HostConfig.RestartPolicy?.Name, "unless-stopped");
    const labels = api.Config.Labels ?? {};
    assert.equal(labels["com.docker.compose.project"], "myapp");
    assert.equal(labels["com.docker.compose.service"], "api");
    assert.equal(labels["com.docker.compose.container-number"], "1");
    assert.equal(labels["com.docker.compose.oneoff"], "False");
    assert.equal(labels["com.docker.compose.project.working_dir"], d);
    assert.match(labels["com.docker.compose.config-hash"] ?? "", /^[0-9a-f]{64}$/);
    assert.equal((await client.containerInspect("myapp-db-1")).Config.Labels?.tier, "data");
    // db started before api was created, api before web.
    const lines = r.stderr.split("\n");
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    assert.ok(at("myapp-db-1  Started") < at("myapp-api-1  Creating"), r.stderr);
    assert.ok(at("myapp-api-1  Started") < at("myapp-web-1  Creating"), r.stderr);
  });

  test("ps, ps --services, ps -q, logs with prefixes", async () => {
    const d = dir({ "compose.yaml": app, ".env": "GREETING=from-dotenv\n" }, "My.App");
    const ps = await compose(daemon.host, d, ["ps"]);
    assert.equal(ps.code, 0, ps.stderr);
    const [header, ...rows] = ps.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^NAME +IMAGE +COMMAND +SERVICE +CREATED +STATUS +PORTS$/);
    assert.deepEqual(
      rows.map((l) => l.split(/ +/)[0]),
      ["myapp-api-1", "myapp-db-1", "myapp-web-1"],
    );
    const services = await compose(daemon.host, d, ["ps", "--services"]);
    assert.equal(services.stdout, "api\ndb\nweb\n");
    const q = await compose(daemon.host, d, ["ps", "-q"]);
    assert.equal(q.stdout.trim().split("\n").length, 3);
    assert.match(q.stdout, /^([0-9a-f]{12}\n){3}$/);
    const logs = await compose(daemon.host, d, ["logs", "db", "api"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^myapp-db-1 +\| db ready$/m);
    assert.match(logs.stdout, /^myapp-api-1 +\| api from-dotenv$/m);
    const bare = await compose(daemon.host, d, ["logs", "--no-log-prefix", "db"]);
    assert.equal(bare.stdout, "db ready\n");
  });

  test("up again converges: nothing recreated; a changed service alone is recreated", async () => {
    const d = dir({ "compose.yaml": app, ".env": "GREETING=from-dotenv\nTAG=v1\n" }, "My.App");
    const before = new Map((await listProject("myapp")).map((c) => [c.Names[0], c.Id]));
    const again = await compose(daemon.host, d, ["up", "-d"]);
    assert.equal(again.code, 0, again.stderr);
    const same = new Map((await listProject("myapp")).map((c) => [c.Names[0], c.Id]));
    assert.deepEqual(same, before);
    writeFileSync(join(d, ".env"), "GREETING=changed\nTAG=v1\n");
    const changed = await compose(daemon.host, d, ["up", "-d", "-t", "1"]);
    assert.equal(changed.code, 0, changed.stderr);
    const after = new Map((await listProject("myapp")).map((c) => [c.Names[0], c.Id]));
    assert.notEqual(after.get("/myapp-api-1"), before.get("/myapp-api-1"));
    assert.equal(after.get("/myapp-db-1"), before.get("/myapp-db-1"));
    assert.equal(after.get("/myapp-web-1"), before.get("/myapp-web-1"));
    const api = await client.containerInspect("myapp-api-1");
    assert.ok(api.Config.Env?.includes("GREETING=changed"));
    const forced = await compose(daemon.host, d, ["up", "-d", "-t", "1", "--force-recreate", "db"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.notEqual((await client.containerInspect("myapp-db-1")).Id, before.get("/myapp-db-1"));
  });

  test("--scale adds and removes replicas, numbered", async () => {
    const d = dir({ "compose.yaml": app, ".env": "GREETING=changed\nTAG=v1\n" }, "My.App");
    const up = await compose(daemon.host, d, ["up", "-d", "--scale", "web=3"]);
    assert.equal(up.code, 0, up.stderr);
    const webs = (await listProject("myapp")).filter((c) => c.Labels["com.docker.compose.service"] === "web");
    assert.deepEqual(names(webs), ["myapp-web-1", "myapp-web-2", "myapp-web-3"]);
    assert.deepEqual(
      webs.map((c) => c.Labels["com.docker.compose.container-number"]),
      ["1", "2", "3"],
    );
    const down = await compose(daemon.host, d, ["up", "-d", "-t", "1", "--scale", "web=1"]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(
      names((await listProject("myapp")).filter((c) => c.Labels["com.docker.compose.service"] === "web")),
      ["myapp-web-1"],
    );
  });

  test("stop, start, restart, pause, unpause, kill, rm act on the project's containers", async () => {
    const d = dir({ "compose.yaml": app, ".env": "GREETING=changed\nTAG=v1\n" }, "My.App");
    const stop = await compose(daemon.host, d, ["stop", "-t", "1", "web"]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await client.containerInspect("myapp-web-1")).State.Running, false);
    assert.equal((await client.containerInspect("myapp-db-1")).State.Running, true);
    const start = await compose(daemon.host, d, ["start", "web"]);
    assert.equal(start.code, 0, start.stderr);
    assert.equal(start.stderr, " Container myapp-web-1  Starting\n Container myapp-web-1  Started\n");
    assert.equal((await client.containerInspect("myapp-web-1")).State.Running, true);
    const restart = await compose(daemon.host, d, ["restart", "-t", "1", "db"]);
    assert.equal(restart.code, 0, restart.stderr);
    assert.equal(restart.stderr, " Container myapp-db-1  Restarting\n Container myapp-db-1  Started\n");
    assert.equal((await client.containerInspect("myapp-db-1")).State.Running, true);
    const pause = await compose(daemon.host, d, ["pause", "web", "db"]);
    assert.equal(pause.code, 0, pause.stderr);
    assert.match(pause.stderr, / Container myapp-web-1 {2}Paused\n/);
    assert.match(pause.stderr, / Container myapp-db-1 {2}Paused\n/);
    assert.equal((await client.containerInspect("myapp-web-1")).State.Paused, true);
    const unpause = await compose(daemon.host, d, ["unpause", "web", "db"]);
    assert.equal(unpause.code, 0, unpause.stderr);
    assert.match(unpause.stderr, / Container myapp-web-1 {2}Unpaused\n/);
    assert.equal((await client.containerInspect("myapp-web-1")).State.Paused, false);
    assert.equal((await client.containerInspect("myapp-db-1")).State.Running, true);
    const kill = await compose(daemon.host, d, ["kill", "web"]);
    assert.equal(kill.code, 0, kill.stderr);
    assert.equal(kill.stderr, " Container myapp-web-1  Killing\n Container myapp-web-1  Killed\n");
    assert.equal((await client.containerInspect("myapp-web-1")).State.Running, false);
    const rm = await compose(daemon.host, d, ["rm", "-f", "web"]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.ok(!names(await listProject("myapp")).includes("myapp-web-1"));
  });

  test("run: a one-off container with the service's config, its exit code, removed with --rm", async () => {
    const d = dir({ "compose.yaml": app, ".env": "GREETING=changed\nTAG=v1\n" }, "My.App");
    const r = await compose(daemon.host, d, [
      "run",
      "--rm",
      "--no-deps",
      "-e",
      "EXTRA=x",
      "api",
      "sh",
      "-c",
      'echo "$GREETING $EXTRA"; exit 7',
    ]);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, "changed x\n");
    const oneoffs = (await listProject("myapp")).filter(
      (c) => c.Labels["com.docker.compose.oneoff"] === "True",
    );
    assert.deepEqual(oneoffs, []);
  });

  test("down removes exactly the project's containers", async () => {
    const d = dir({ "compose.yaml": app, ".env": "GREETING=changed\nTAG=v1\n" }, "My.App");
    const otherDir = dir(
      { "compose.yaml": "services:\n  keep:\n    image: busybox\n    command: sleep 300\n" },
      "other",
    );
    assert.equal((await compose(daemon.host, otherDir, ["up", "-d"])).code, 0);
    const plain = await client.containerCreate(
      { Image: "busybox", Cmd: ["sleep", "300"], Labels: { "com.docker.compose.project": "unrelated" } },
      { name: "plain-one" },
    );
    const r = await compose(daemon.host, d, ["down", "-t", "1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await listProject("myapp"), []);
    assert.deepEqual(names(await listProject("other")), ["other-keep-1"]);
    assert.equal((await client.containerInspect(plain.Id)).Id, plain.Id);
    // down by project name alone, without the file
    const byName = await compose(daemon.host, dirname(d), ["-p", "other", "down", "-t", "1"]);
    assert.equal(byName.code, 0, byName.stderr);
    assert.deepEqual(await listProject("other"), []);
    await client.containerRemove(plain.Id, { force: true });
  });

  test("depends_on service_completed_successfully waits for the exit, and fails on a bad one", async () => {
    const d = dir(
      {
        "compose.yaml": `
services:
  init:
    image: busybox
    command: sh -c 'sleep 1; echo done > /tmp/x; exit 0'
  app:
    image: busybox
    command: sleep 300
    depends_on:
      init: {condition: service_completed_successfully}
`,
        "bad.yaml": `
services:
  init:
    image: busybox
    command: sh -c 'exit 3'
  app:
    image: busybox
    command: sleep 300
    depends_on:
      init: {condition: service_completed_successfully}
`,
      },
      "deps",
    );
    const ok = await compose(daemon.host, d, ["up", "-d"]);
    assert.equal(ok.code, 0, ok.stderr);
    const init = await client.containerInspect("deps-init-1");
    const app = await client.containerInspect("deps-app-1");
    assert.equal(init.State.ExitCode, 0);
    assert.equal(app.State.Running, true);
    assert.ok(
      Date.parse(app.State.StartedAt) >= Date.parse(init.State.FinishedAt),
      `${app.State.StartedAt} ${init.State.FinishedAt}`,
    );
    assert.equal((await compose(daemon.host, d, ["down", "-t", "1"])).code, 0);
    const bad = await compose(daemon.host, d, ["-f", "bad.yaml", "up", "-d"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /service "init" didn't complete successfully: exit 3/);
    assert.deepEqual(names(await listProject("deps")), ["deps-init-1"], "app was never created");
    assert.equal((await compose(daemon.host, d, ["-f", "bad.yaml", "down"])).code, 0);
  });

  test("bad input: a cycle or a schema error is named and nothing is created", async () => {
    const d = dir(
      {
        "cycle.yaml":
          "services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [a]\n",
        "schema.yaml": "services:\n  a:\n    image: busybox\n    ports: [{target: 80, bogus: true}]\n",
      },
      "bad",
    );
    const cycle = await compose(daemon.host, d, ["-f", "cycle.yaml", "up", "-d"]);
    assert.equal(cycle.code, 1);
    assert.match(cycle.stderr, /dependency cycle detected: a -> b -> a/);
    const schema = await compose(daemon.host, d, ["-f", "schema.yaml", "up", "-d"]);
    assert.equal(schema.code, 1);
    assert.equal(
      schema.stderr.trim(),
      `validating ${join(d, "schema.yaml")}: services.a.ports.0 additional properties 'bogus' not allowed`,
    );
    assert.deepEqual(await listProject("bad"), []);
  });

  test("profiles and two -f files merged", async () => {
    const d = dir(
      {
        "compose.yaml": `
services:
  main:
    image: busybox
    command: sleep 300
    environment: {LEVEL: base, KEEP: kept}
  debug:
    image: busybox
    command: sleep 300
    profiles: [debug]
`,
        "compose.prod.yaml": "services:\n  main:\n    environment: {LEVEL: prod}\n    command: sleep 301\n",
      },
      "prof",
    );
    const plain = await compose(daemon.host, d, [
      "-f",
      "compose.yaml",
      "-f",
      "compose.prod.yaml",
      "up",
      "-d",
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(names(await listProject("prof")), ["prof-main-1"]);
    const main = await client.containerInspect("prof-main-1");
    assert.ok(main.Config.Env?.includes("LEVEL=prod"));
    assert.ok(main.Config.Env?.includes("KEEP=kept"));
    assert.deepEqual(main.Config.Cmd, ["sleep", "301"]);
    const withProfile = await compose(daemon.host, d, [
      "--profile",
      "debug",
      "-f",
      "compose.yaml",
      "-f",
      "compose.prod.yaml",
      "up",
      "-d",
    ]);
    assert.equal(withProfile.code, 0, withProfile.stderr);
    assert.deepEqual(names(await listProject("prof")), ["prof-debug-1", "prof-main-1"]);
    assert.equal((await client.containerInspect("prof-main-1")).Id, main.Id, "main untouched");
    const down = await compose(daemon.host, d, ["--profile", "debug", "down", "-t", "1"]);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual(await listProject("prof"), []);
  });

  test("exec runs in the service's container, or fails naming the missing API", async () => {
    const caps = await capabilities(daemon.host);
    const d = dir({ "compose.yaml": "services:\n  s:\n    image: busybox\n    command: sleep 300\n" }, "ex");
    assert.equal((await compose(daemon.host, d, ["up", "-d"])).code, 0);
    const r = await compose(daemon.host, d, ["exec", "-T", "s", "sh", "-c", "echo in-$HOSTNAME; exit 4"]);
    if (caps.exec) {
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stdout, /^in-/);
    } else {
      assert.equal(r.code, 1);
      assert.match(r.stderr, /the daemon does not implement exec/);
    }
    assert.equal((await compose(daemon.host, d, ["down", "-t", "1"])).code, 0);
    assert.deepEqual(await listProject("ex"), []);
  });

  test("ls lists running projects; config prints the normalised model", async () => {
    const d = dir(
      {
        "compose.yaml":
          "services:\n  s:\n    image: busybox\n    command: sleep 300\n    ports: ['127.0.0.1:8080:80']\n",
      },
      "lsproj",
    );
    const config = await compose(daemon.host, d, ["config"]);
    assert.equal(config.code, 0, config.stderr);
    assert.equal(
      config.stdout,
      [
        "name: lsproj",
        "networks:",
        "  default:",
        "    name: lsproj_default",
        "services:",
        "  s:",
        "    command:",
        "      - sleep",
        '      - "300"',
        "    image: busybox",
        "    networks:",
        "      default: null",
        "    ports:",
        "      - host_ip: 127.0.0.1",
        "        mode: ingress",
        "        protocol: tcp",
        '        published: "8080"',
        "        target: 80",
        "",
      ].join("\n"),
    );
  });

  test("up in the foreground streams prefixed logs; Ctrl-C stops the project", async () => {
    const d = dir(
      {
        "compose.yaml": `
services:
  talker:
    image: busybox
    command: sh -c 'echo started; trap "echo got-term; exit 0" TERM; while true; do sleep 0.2; done'
  oneshot:
    image: busybox
    command: sh -c 'echo once; exit 0'
`,
      },
      "fg",
    );
    const up = spawnCompose(daemon.host, d, ["up"], { stdin: "ignore" });
    try {
      const deadline = Date.now() + 30_000;
      while (
        !(
          /^fg-talker-1 +\| started$/m.test(up.stdout()) &&
          up.stdout().includes("fg-oneshot-1 exited with code 0")
        ) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(up.stdout(), /^fg-oneshot-1 +\| once$/m, up.stderr());
      assert.match(up.stdout(), /^fg-talker-1 +\| started$/m, up.stderr());
      up.child.kill("SIGINT");
      const code = await up.closed;
      assert.equal(code, 130, up.stderr());
      assert.match(up.stderr(), /Gracefully stopping\.\.\./);
      assert.match(up.stdout(), /^fg-talker-1 +\| got-term$/m);
    } finally {
      up.child.kill("SIGKILL"); // a failed check must not leave up running
    }
    const talker = await client.containerInspect("fg-talker-1");
    assert.equal(talker.State.Running, false);
    assert.equal((await compose(daemon.host, d, ["down"])).code, 0);
    assert.deepEqual(await listProject("fg"), []);
  });

  test("health: service_healthy gates the start; an unhealthy dependency fails and leaves the project as it is", async (t) => {
    if (!(await capabilities(daemon.host)).exec)
      return t.skip("wharfd has no exec endpoint, so no health checks, yet");
    const d = dir(
      {
        "compose.yaml": `
services:
  db:
    image: busybox
    command: sh -c 'sleep 1; touch /tmp/ready; exec sleep 300'
    healthcheck: {test: ["CMD-SHELL", "test -f /tmp/ready"], interval: 500ms, retries: 20}
  app:
    image: busybox
    command: sleep 300
    depends_on:
      db: {condition: service_healthy}
  sick:
    image: busybox
    command: sleep 300
    profiles: [sick]
    healthcheck: {test: ["CMD", "false"], interval: 500ms, retries: 2}
  needs-sick:
    image: busybox
    command: sleep 300
    profiles: [sick]
    depends_on:
      sick: {condition: service_healthy}
`,
      },
      "health",
    );
    const ok = await compose(daemon.host, d, ["up", "-d"]);
    assert.equal(ok.code, 0, ok.stderr);
    const lines = ok.stderr.split("\n");
    assert.ok(
      lines.indexOf(" Container health-db-1  Healthy") < lines.indexOf(" Container health-app-1  Creating"),
      ok.stderr,
    );
    assert.equal((await client.containerInspect("health-db-1")).State.Health?.Status, "healthy");
    const bad = await compose(daemon.host, d, ["--profile", "sick", "up", "-d"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /dependency failed to start: container health-sick-1 is unhealthy/);
    assert.deepEqual(
      names(await listProject("health")),
      ["health-app-1", "health-db-1", "health-sick-1"],
      "nothing torn down",
    );
    const wait = await compose(daemon.host, d, [
      "--profile",
      "sick",
      "up",
      "-d",
      "--wait",
      "--wait-timeout",
      "20",
      "sick",
    ]);
    assert.equal(wait.code, 1);
    assert.match(wait.stderr, /container health-sick-1 is unhealthy/);
    assert.equal((await compose(daemon.host, d, ["--profile", "sick", "down", "-t", "1"])).code, 0);
    assert.deepEqual(await listProject("health"), []);
  });

  test("networks: the project network, service names resolve, down removes it", async (t) => {
    if (!(await capabilities(daemon.host)).networks) return t.skip("wharfd has no networks API yet");
    const d = dir(
      {
        "compose.yaml": `
services:
  web:
    image: busybox
    command: sh -c 'mkdir -p /www && echo hello-web > /www/index.html && exec httpd -f -p 80 -h /www'
  probe:
    image: busybox
    command: sh -c 'until timeout 3 wget -q -O - http://web/; do sleep 0.5; done; exec sleep 300'
    depends_on: [web]
`,
      },
      "nets",
    );
    const up = await compose(daemon.host, d, ["up", "-d"]);
    assert.equal(up.code, 0, up.stderr);
    const net = await client.json<{ Name: string; Labels: Record<string, string> }>(
      "GET",
      "/networks/nets_default",
    );
    assert.equal(net.Labels["com.docker.compose.project"], "nets");
    let seen = "";
    for (let i = 0; i < 60 && !seen.includes("hello-web"); i++) {
      seen = (await compose(daemon.host, d, ["logs", "--no-log-prefix", "probe"])).stdout;
      if (!seen.includes("hello-web")) await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(seen, /hello-web/);
    assert.equal((await compose(daemon.host, d, ["down", "-t", "1"])).code, 0);
    await assert.rejects(client.json("GET", "/networks/nets_default"), /not found/i);
  });

  test("volumes: named volume data survives down + up; only down -v removes it", async (t) => {
    if (!(await capabilities(daemon.host)).volumes) return t.skip("wharfd has no volumes API yet");
    const caps = await capabilities(daemon.host);
    const d = dir(
      {
        "compose.yaml": `
services:
  store:
    image: busybox
    command: sh -c 'test -f /data/first || cat /proc/sys/kernel/random/uuid > /data/first; cat /data/first; exec sleep 300'
    volumes: [data:/data]
${caps.networks ? "" : "    network_mode: bridge\n"}volumes:
  data: {}
`,
      },
      "vols",
    );
    const logs = async () =>
      (await compose(daemon.host, d, ["logs", "--no-log-prefix", "store"])).stdout.trim();
    assert.equal((await compose(daemon.host, d, ["up", "-d"])).code, 0);
    let first = "";
    for (let i = 0; i < 40 && first === ""; i++) {
      first = await logs();
      if (first === "") await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(first, /^[0-9a-f-]{36}$/);
    assert.equal((await compose(daemon.host, d, ["down", "-t", "1"])).code, 0);
    assert.equal((await client.json<{ Name: string }>("GET", "/volumes/vols_data")).Name, "vols_data");
    assert.equal((await compose(daemon.host, d, ["up", "-d"])).code, 0);
    let again = "";
    for (let i = 0; i < 40 && again === ""; i++) {
      again = await logs();
      if (again === "") await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(again, first);
    assert.equal((await compose(daemon.host, d, ["down", "-v", "-t", "1"])).code, 0);
    await assert.rejects(client.json("GET", "/volumes/vols_data"), /no such volume|not found/i);
  });

  test("build: the service image built from its context (args, labels, .dockerignore), then run", async (t) => {
    if (!(await capabilities(daemon.host)).build) return t.skip("wharfd has no builder (POST /build) yet");
    const d = dir(
      {
        "compose.yaml": `
services:
  hello:
    build:
      context: ./app
      args: {GREETING: built-by-compose}
      labels: {built: "yes"}
`,
      },
      "bld",
    );
    mkdirSync(join(d, "app"));
    writeFileSync(
      join(d, "app", "Dockerfile"),
      'FROM busybox\nARG GREETING=none\nCOPY . /ctx\nRUN echo "$GREETING" > /greeting\nCMD ["sh", "-c", "cat /greeting; ls /ctx"]\n',
    );
    writeFileSync(join(d, "app", "kept.txt"), "k");
    writeFileSync(join(d, "app", "secret.txt"), "s");
    writeFileSync(join(d, "app", ".dockerignore"), "secret.txt\n");
    const build = await compose(daemon.host, d, ["build"]);
    assert.equal(build.code, 0, build.stderr);
    const image = await client.imageInspect("bld-hello");
    assert.equal(image.Config?.Labels?.built, "yes");
    const run = await compose(daemon.host, d, ["run", "--rm", "hello"]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.equal(lines[0], "built-by-compose");
    assert.ok(lines.includes("kept.txt") && !lines.includes("secret.txt"), run.stdout);
    assert.equal((await compose(daemon.host, d, ["down", "--rmi", "local"])).code, 0);
    await assert.rejects(client.imageInspect("bld-hello"), /no such image/i);
  });

  test("up --exit-code-from: the first exit stops the project, the service's code is returned", async () => {
    const d = dir(
      {
        "compose.yaml": `
services:
  runner:
    image: busybox
    command: sh -c 'trap "exit 0" TERM; while true; do sleep 0.2; done'
  tests:
    image: busybox
    command: sh -c 'sleep 1; echo testing; exit 5'
`,
      },
      "ci",
    );
    const r = await compose(daemon.host, d, ["up", "--exit-code-from", "tests", "-t", "2"]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stdout, /^ci-tests-1 +\| testing$/m);
    assert.match(r.stderr, /Aborting on container exit/);
    assert.equal((await client.containerInspect("ci-runner-1")).State.Running, false);
    const bad = await compose(daemon.host, d, ["up", "-d", "--abort-on-container-exit"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--abort-on-container-exit and --detach are incompatible/);
    assert.equal((await compose(daemon.host, d, ["down"])).code, 0);
  });
});
