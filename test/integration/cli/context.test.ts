// `wharf context` against the real docker CLI on one temp DOCKER_CONFIG: each CLI lists and uses
// the contexts the other made, both print the same output and errors, and `--context x`
// reaches the same daemon from both. Never this machine's ~/.docker: every child gets an
// explicit environment.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { contextDirName } from "../../../src/client/contexts.ts";
import { type Daemon, startDaemon, wharfBin } from "./harness.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;

interface Result {
  code: number | null;
  out: string;
  err: string;
}

let dir = "";

function run(bin: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Result {
  const r = spawnSync(bin, args, {
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: dir, ...extraEnv },
    cwd: dir,
    timeout: 60_000,
    killSignal: "SIGKILL",
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const wharf = (args: string[], env?: NodeJS.ProcessEnv) => run(wharfBin, args, env);
const docker = (args: string[], env?: NodeJS.ProcessEnv) => run("docker", args, env);

function ok(r: Result): Result {
  assert.equal(r.code, 0, r.err);
  return r;
}

/** Both CLIs give the same answer (usage lines name their own program). */
function same(args: string[], env?: NodeJS.ProcessEnv): Result {
  const d = docker(args, env);
  const w = wharf(args, env);
  assert.deepEqual(
    { ...w, err: w.err.replaceAll("wharf", "docker") },
    d,
    `wharf ${args.join(" ")} differs from docker`,
  );
  return w;
}

/** A throwaway self-signed certificate and its key, made by openssl in the temp folder. */
function selfSigned(): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const r = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-subj",
      "/CN=ctx-test",
      "-days",
      "1",
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  return { cert, key };
}

function configJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
}

describe("wharf context with the docker CLI", { skip: !hasDocker && "docker CLI not installed" }, () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ctx-it-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test("contexts docker creates are listed, shown and inspected by wharf exactly as docker does", () => {
    ok(
      docker([
        "context",
        "create",
        "dctx",
        "--description",
        "from docker",
        "--docker",
        "host=unix:///tmp/d.sock",
      ]),
    );
    ok(docker(["context", "create", "dskip", "--docker", "host=tcp://127.0.0.1:2376,skip-tls-verify=true"]));
    // One DOCKER_HOST for both, so the built-in default context reads the same.
    const env = { DOCKER_HOST: "unix:///tmp/same.sock" };
    same(["context", "ls"], env);
    same(["context", "ls", "--format", "json"], env);
    same(["context", "ls", "-q"]);
    same(["context", "inspect", "dctx", "dskip"]);
    same(["context", "inspect", "-f", "{{.Name}} {{.Endpoints.docker.Host}}", "dctx"]);
    ok(docker(["context", "use", "dctx"]));
    assert.equal(ok(wharf(["context", "show"])).out, "dctx\n");
    same(["context", "ls"], env);
    same(["context", "ls", "--format", "{{.Name}} {{.Current}}"]);
  });

  test("contexts wharf creates, selects and updates are what docker sees", () => {
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ auths: { "registry.example": { auth: "dTpw" } }, psFormat: "table {{.ID}}" }),
    );
    const created = ok(
      wharf([
        "context",
        "create",
        "wctx",
        "--description",
        "from wharf",
        "--docker",
        "host=unix:///tmp/w.sock",
      ]),
    );
    assert.equal(created.out, "wctx\n");
    assert.equal(created.err, 'Successfully created context "wctx"\n');
    const used = ok(wharf(["context", "use", "wctx"]));
    assert.deepEqual([used.out, used.err], ["wctx\n", 'Current context is now "wctx"\n']);
    assert.equal(ok(docker(["context", "show"])).out, "wctx\n");
    assert.deepEqual(configJson(), {
      auths: { "registry.example": { auth: "dTpw" } },
      psFormat: "table {{.ID}}",
      currentContext: "wctx",
    });
    const rows = ok(
      docker(["context", "ls", "--format", "{{.Name}}|{{.Description}}|{{.DockerEndpoint}}|{{.Current}}"]),
    );
    assert.ok(rows.out.includes("wctx|from wharf|unix:///tmp/w.sock|true\n"), rows.out);
    same(["context", "inspect"]);

    const updated = ok(
      wharf([
        "context",
        "update",
        "wctx",
        "--description",
        "new",
        "--docker",
        "host=tcp://127.0.0.1:2376,skip-tls-verify=true",
      ]),
    );
    assert.equal(updated.err, 'Successfully updated context "wctx"\n');
    const inspected = JSON.parse(ok(docker(["context", "inspect", "wctx"])).out) as Array<{
      Metadata: { Description: string };
      Endpoints: { docker: { Host: string; SkipTLSVerify: boolean } };
    }>;
    assert.deepEqual(inspected[0]?.Metadata, { Description: "new" });
    assert.deepEqual(inspected[0]?.Endpoints.docker, { Host: "tcp://127.0.0.1:2376", SkipTLSVerify: true });

    // --from copies the endpoint, TLS files included.
    const { cert, key } = selfSigned();
    ok(
      wharf([
        "context",
        "create",
        "tls1",
        "--docker",
        `host=tcp://127.0.0.1:2376,ca=${cert},cert=${cert},key=${key}`,
      ]),
    );
    ok(wharf(["context", "create", "tls2", "--from", "tls1"]));
    same(["context", "inspect", "tls1", "tls2"]);

    // export/import both ways, TLS files included.
    const exported = wharf(["context", "export", "tls1"]);
    assert.deepEqual(exported, { code: 0, out: "", err: 'Written file "tls1.dockercontext"\n' });
    ok(docker(["context", "import", "byDocker", join(dir, "tls1.dockercontext")]));
    ok(docker(["context", "export", "tls1", join(dir, "d.dockercontext")]));
    ok(wharf(["context", "import", "byWharf", join(dir, "d.dockercontext")]));
    const tlsFiles = (name: string) =>
      readdirSync(join(dir, "contexts/tls", contextDirName(name), "docker")).sort();
    assert.deepEqual(tlsFiles("byDocker"), ["ca.pem", "cert.pem", "key.pem"]);
    assert.deepEqual(tlsFiles("byWharf"), ["ca.pem", "cert.pem", "key.pem"]);
    same([
      "context",
      "inspect",
      "-f",
      "{{.Name}} {{.Endpoints.docker.Host}} {{.TLSMaterial}}",
      "byDocker",
      "byWharf",
    ]);
    same(["context", "export", "tls1", join(dir, "d.dockercontext")]);

    // The current context is kept unless forced; forcing falls back to the default.
    same(["context", "rm", "wctx"]);
    const removed = ok(wharf(["context", "rm", "-f", "wctx"]));
    assert.equal(removed.out, "wctx\n");
    assert.equal(ok(docker(["context", "show"])).out, "default\n");
    assert.deepEqual(configJson(), {
      auths: { "registry.example": { auth: "dTpw" } },
      psFormat: "table {{.ID}}",
    });

    ok(wharf(["context", "use", "tls1"]));
    ok(wharf(["context", "use", "default"]));
    assert.equal("currentContext" in configJson(), false);
  });

  test("help reads as docker's", () => {
    for (const sub of ["create", "export", "import", "inspect", "ls", "rm", "show", "update", "use"]) {
      const d = ok(docker(["context", sub, "--help"]));
      const w = ok(wharf(["context", sub, "--help"]));
      assert.equal(w.out.replaceAll("wharf", "docker"), d.out, `context ${sub} --help`);
    }
  });

  test("errors read as docker's", () => {
    ok(docker(["context", "create", "there", "--docker", "host=unix:///tmp/t.sock"]));
    same(["context", "create", "there", "--docker", "host=unix:///x"]);
    same(["context", "create", "default"]);
    same(["context", "create", "a b"]);
    same(["context", "create", "newone", "--docker", "hosst=unix:///x"]);
    same(["context", "create", "newone", "--docker", "host=unix:///x,skip-tls-verify=maybe"]);
    same(["context", "create", "newone", "--docker", "host"]);
    same(["context", "create", "newone", "--from", "there", "--docker", "host=unix:///x"]);
    same(["context", "create", "newone", "--docker", "host=tcp://127.0.0.1:2376,ca=/nonexistent/ca.pem"]);
    const notPem = join(dir, "not.pem");
    writeFileSync(notPem, "not a certificate\n");
    same(["context", "create", "newone", "--docker", `host=tcp://127.0.0.1:2376,ca=${notPem}`]);
    same(["context", "import", "newone", notPem]);
    same(["context", "import", "newone", join(dir, "nothing.dockercontext")]);
    same(["context", "use"]);
    assert.equal(
      existsSync(join(dir, "contexts/meta")) && wharf(["context", "ls", "-q"]).out,
      "default\nthere\n",
    );
    same(["context", "use", "nope"]);
    same(["context", "inspect", "nope", "there"]);
    same(["context", "update", "nope", "--description", "x"]);
    same(["context", "update", "default", "--description", "x"]);
    same(["context", "rm", "default"]);
    // A state-changing command: each CLI gets the same starting state.
    const d = docker(["context", "rm", "nope", "there"]);
    ok(docker(["context", "create", "there", "--docker", "host=unix:///tmp/t.sock"]));
    assert.deepEqual(wharf(["context", "rm", "nope", "there"]), d);
    assert.deepEqual(d, { code: 1, out: "there\n", err: 'context "nope" does not exist\n' });
    assert.equal(wharf(["context", "ls", "-q"]).out, "default\n");
    same(["--context", "nope", "ps"]);
    same(["-H", "unix:///tmp/x.sock", "--context", "there", "ps"]);
    same(["ps"], { DOCKER_CONTEXT: "nope" });

    // --config points both CLIs at another folder.
    const other = join(dir, "other");
    ok(docker(["--config", other, "context", "create", "elsewhere", "--docker", "host=unix:///tmp/e.sock"]));
    ok(wharf(["--config", other, "context", "use", "elsewhere"]));
    assert.equal(ok(docker(["--config", other, "context", "show"])).out, "elsewhere\n");
    assert.equal(ok(wharf(["context", "show"])).out, "default\n");
  });
});

const skipDaemon =
  (process.getuid?.() !== 0 && "needs root (wharfd)") || (!hasDocker && "docker CLI not installed");

describe("--context reaches the daemon", { skip: skipDaemon, concurrency: false }, () => {
  let daemon: Daemon | undefined;
  const volume = `ctxvol-${process.pid}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "wharf-ctx-daemon-"));
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("wharf and docker, through the same context, talk to the same wharfd", () => {
    const host = (daemon as Daemon).host;
    ok(docker(["context", "create", "fromdocker", "--docker", `host=${host}`]));
    ok(wharf(["context", "create", "fromwharf", "--docker", `host=${host}`]));
    assert.equal(ok(wharf(["--context", "fromdocker", "volume", "create", volume])).out, `${volume}\n`);
    assert.ok(
      ok(docker(["--context", "fromwharf", "volume", "ls", "-q"]))
        .out.split("\n")
        .includes(volume),
    );
    assert.ok(
      ok(wharf(["--context", "fromwharf", "volume", "ls", "-q"]))
        .out.split("\n")
        .includes(volume),
    );
    assert.match(ok(wharf(["--context", "fromdocker", "ps"])).out, /^CONTAINER ID\s+IMAGE/);
    assert.match(ok(docker(["--context", "fromwharf", "ps"])).out, /^CONTAINER ID\s+IMAGE/);

    // version and info name the context in use, as docker's do.
    const fmt = "{{.Client.Context}}";
    assert.equal(ok(wharf(["--context", "fromdocker", "version", "--format", fmt])).out, "fromdocker\n");
    assert.equal(ok(docker(["--context", "fromdocker", "version", "--format", fmt])).out, "fromdocker\n");
    const info = ok(wharf(["info", "--format", "{{.ClientInfo.Context}}"], { DOCKER_CONTEXT: "fromwharf" }));
    assert.equal(info.out, "fromwharf\n");

    // The context docker selected is the one wharf uses without flags, and DOCKER_CONTEXT too.
    ok(docker(["context", "use", "fromdocker"]));
    assert.ok(
      ok(wharf(["volume", "ls", "-q"]))
        .out.split("\n")
        .includes(volume),
    );
    ok(docker(["context", "use", "default"]));
    assert.ok(ok(wharf(["volume", "ls", "-q"], { DOCKER_CONTEXT: "fromwharf" })).out.includes(volume));

    // WHARF_HOST and DOCKER_HOST beat the current context.
    ok(wharf(["context", "use", "fromwharf"]));
    const missing = join(dir, "nothing-here.sock");
    for (const name of ["WHARF_HOST", "DOCKER_HOST"]) {
      const r = wharf(["volume", "ls"], { [name]: `unix://${missing}` });
      assert.notEqual(r.code, 0);
      assert.ok(r.err.includes(missing), r.err);
    }
    ok(wharf(["--context", "fromwharf", "volume", "rm", volume]));
    assert.equal(
      ok(docker(["volume", "ls", "-q"]))
        .out.split("\n")
        .includes(volume),
      false,
    );
  });
});
