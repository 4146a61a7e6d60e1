// `wharf compose` on the multi-service project: a busybox httpd published on
// 127.0.0.1, an API service reaching it by service name, a stateful service whose named volume
// survives down + up, health-gated depends_on, --scale. Runs against the test wharfd, or a
// reference dockerd when WHARF_TEST_SOCKET is set (the same results are expected). Parts that
// need engine features wharfd does not have yet (networks, volumes, health checks, port
// publishing) are probed and skipped with the reason.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose interpolation in the fixture
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";
import { compose } from "../integration/compose/helpers.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const suffix = `${process.pid}`;
const project = `cproj${suffix}`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("wharf compose: the multi-service project", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing (used to import the test image)"),
}, () => {
  let d: TestDaemon;
  let dir: string;
  let host: string;
  const missing = new Set<string>();
  const lacking = (...needs: string[]) => {
    const gone = needs.filter((n) => missing.has(n));
    return gone.length > 0 ? `the daemon has no ${gone.join(", ")} API yet` : undefined;
  };
  let port: number;
  const image = `compat-cproj-bb-${suffix}:latest`;
  const up = (...args: string[]) => compose(host, dir, ["-p", project, ...args]);
  const logsOf = async (service: string) => (await up("logs", "--no-log-prefix", service)).stdout;
  const inspect = async (name: string) =>
    d.api.ok<{ Id: string; State: { Running: boolean; Health?: { Status: string } } }>(
      "GET",
      `/containers/${name}/json`,
    );

  before(async () => {
    d = await startDaemon();
    host = `unix://${d.socket}`;
    dir = mkdtempSync(join(tmpdir(), "wharf-compat-cproj-"));
    const imported = spawnSync(
      "docker",
      ["-H", host, "import", "-c", 'CMD ["sh"]', await busyboxTar(), image],
      { encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL" },
    );
    assert.equal(imported.status, 0, imported.stderr);
    const lacks = async (path: string) => {
      const res = await d.api.call("GET", path);
      return res.status === 404 && /page not found/.test(res.text());
    };
    // Health checks arrived with exec (probes run as execs): the exec route stands for both.
    const gaps: Array<[string, string]> = [
      ["networks", "/networks"],
      ["volumes", "/volumes"],
      ["exec and health checks", "/exec/0000/json"],
    ];
    for (const [what, path] of gaps) if (await lacks(path)) missing.add(what);
    port = await freePort();
    writeFileSync(join(dir, ".env"), `WEB_PORT=${port}\nIMG=${image}\n`);
    writeFileSync(
      join(dir, "compose.yaml"),
      `
services:
  web:
    image: \${IMG}
    command: sh -c 'mkdir -p /www && echo hello-web > /www/index.html && exec httpd -f -p 80 -h /www'
    ports: ["127.0.0.1:\${WEB_PORT}:80"]
    healthcheck:
      test: ["CMD-SHELL", "timeout 2 wget -q -O /dev/null http://127.0.0.1/ || exit 1"]
      interval: 1s
      retries: 30
  api:
    image: \${IMG}
    command: sh -c 'while true; do timeout 3 wget -q -O - http://web/ 2>/dev/null; sleep 1; done'
    depends_on:
      web: {condition: service_healthy}
  store:
    image: \${IMG}
    command: sh -c 'test -f /data/first || cat /proc/sys/kernel/random/uuid > /data/first; cat /data/first; exec sleep 300'
    volumes: [data:/data]
volumes:
  data: {}
`,
    );
  });

  after(async () => {
    if (d) {
      await up("down", "-v", "-t", "1").catch(() => undefined);
      // Bounded: a synchronous call to a wedged daemon would block even the hook's own timeout.
      spawnSync("docker", ["-H", host, "rmi", "-f", image], { timeout: 60_000, killSignal: "SIGKILL" });
      await d.stop();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("up -d --wait: health-gated start, published port, service-name reachability", async (t) => {
    const why = lacking("networks", "volumes", "exec and health checks");
    if (why) return t.skip(why);
    const r = await up("up", "-d", "--wait", "--wait-timeout", "60");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split("\n");
    const at = (s: string) => lines.findIndex((l) => l.includes(s));
    assert.ok(
      at(`${project}-web-1  Healthy`) >= 0 &&
        at(`${project}-web-1  Healthy`) < at(`${project}-api-1  Creating`),
      r.stderr,
    );
    assert.equal((await inspect(`${project}-web-1`)).State.Health?.Status, "healthy");
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await res.text(), "hello-web\n");
    let seen = "";
    for (let i = 0; i < 40 && !seen.includes("hello-web"); i++) {
      seen = await logsOf("api");
      if (!seen.includes("hello-web")) await new Promise((r2) => setTimeout(r2, 250));
    }
    assert.match(seen, /hello-web/, "api reached web by its service name");
  });

  test("named volume data survives down + up; down -v removes it", async (t) => {
    const why = lacking("networks", "volumes", "exec and health checks");
    if (why) return t.skip(why);
    const first = (await logsOf("store")).trim();
    assert.match(first, /^[0-9a-f-]{36}$/);
    assert.equal((await up("down", "-t", "1")).code, 0);
    const vol = await d.api.call("GET", `/volumes/${project}_data`);
    assert.equal(vol.status, 200, "the named volume outlives down");
    const again = await up("up", "-d", "store");
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await logsOf("store")).trim(), first);
    assert.equal((await up("down", "-v", "-t", "1")).code, 0);
    assert.equal((await d.api.call("GET", `/volumes/${project}_data`)).status, 404);
    assert.equal((await d.api.call("GET", `/networks/${project}_default`)).status, 404);
  });

  test("--scale api=2 runs two numbered replicas", async (t) => {
    const why = lacking("networks", "volumes", "exec and health checks");
    if (why) return t.skip(why);
    const r = await up("up", "-d", "--scale", "api=2", "api");
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await inspect(`${project}-api-1`)).State.Running);
    assert.ok((await inspect(`${project}-api-2`)).State.Running);
    assert.equal((await up("down", "-v", "-t", "1")).code, 0);
  });
});
