// The context store in docker's format and the daemon choice in docker's order. Contexts are
// made by the real docker CLI where it is installed, so the two formats are checked to agree.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { packArchive, unpackArchive } from "../../../src/client/context-archive.ts";
import {
  ContextError,
  ContextStore,
  contextDirName,
  currentContextName,
  defaultContext,
  resolveEndpoint,
  validateContextName,
} from "../../../src/client/contexts.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;

let dir: string;
let env: NodeJS.ProcessEnv;

/** The real docker CLI on the temp config folder only (never this machine's ~/.docker). */
function docker(...args: string[]): string {
  const r = spawnSync("docker", args, {
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: dir },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "wharf-ctx-unit-"));
  env = { DOCKER_CONFIG: dir, HOME: dir };
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("context store", () => {
  test("a context's folder is the sha256 of its name", () => {
    assert.equal(contextDirName("foo"), createHash("sha256").update("foo").digest("hex"));
  });

  test("names follow docker's rule; default is reserved", () => {
    validateContextName("ab");
    validateContextName("my-ctx_1.x+y");
    assert.throws(() => validateContextName("default"), /"default" is a reserved context name/);
    assert.throws(() => validateContextName("a b"), /context name "a b" is invalid/);
    assert.throws(() => validateContextName("a"), /is invalid/);
    assert.throws(() => validateContextName("-ab"), /is invalid/);
  });

  test("write then get and list round-trip; the file is docker's compact meta.json", () => {
    const s = ContextStore.fromEnv(env);
    s.write({
      Name: "one",
      Metadata: { Description: "d" },
      Endpoints: { docker: { Host: "unix:///x.sock", SkipTLSVerify: false } },
    });
    const file = join(dir, "contexts/meta", contextDirName("one"), "meta.json");
    assert.equal(
      readFileSync(file, "utf8"),
      '{"Name":"one","Metadata":{"Description":"d"},"Endpoints":{"docker":{"Host":"unix:///x.sock","SkipTLSVerify":false}}}',
    );
    assert.equal(s.get("one").Endpoints.docker?.Host, "unix:///x.sock");
    assert.deepEqual(
      s.list().map((m) => m.Name),
      ["one"],
    );
    s.remove("one");
    assert.equal(existsSync(join(dir, "contexts/meta", contextDirName("one"))), false);
    assert.deepEqual(s.list(), []);
  });

  test("a missing context fails with docker's text", () => {
    const s = ContextStore.fromEnv(env);
    const file = join(dir, "contexts/meta", contextDirName("nope"), "meta.json");
    assert.throws(
      () => s.get("nope"),
      (err: Error) =>
        err instanceof ContextError &&
        err.message === `context "nope": context not found: open ${file}: no such file or directory`,
    );
  });

  test("setCurrentContext keeps config.json's other keys, writes no temp file, and default clears it", () => {
    const config = join(dir, "config.json");
    const before = { auths: { "r.example": { auth: "eDp5" } }, psFormat: "table {{.ID}}", credsStore: "" };
    writeFileSync(config, JSON.stringify(before));
    const s = ContextStore.fromEnv(env);
    s.setCurrentContext("one");
    assert.deepEqual(JSON.parse(readFileSync(config, "utf8")), { ...before, currentContext: "one" });
    assert.equal(s.currentContext(), "one");
    s.setCurrentContext("default");
    assert.deepEqual(JSON.parse(readFileSync(config, "utf8")), before);
    assert.deepEqual(readdirSync(dir), ["config.json"]);
  });

  test("a symlinked config.json stays a symlink", () => {
    const real = join(dir, "real-config.json");
    writeFileSync(real, '{"auths":{}}');
    symlinkSync(real, join(dir, "config.json"));
    ContextStore.fromEnv(env).setCurrentContext("one");
    assert.equal(lstatSync(join(dir, "config.json")).isSymbolicLink(), true);
    assert.deepEqual(JSON.parse(readFileSync(real, "utf8")), { auths: {}, currentContext: "one" });
  });

  test("a broken config.json is reported, not overwritten", () => {
    writeFileSync(join(dir, "config.json"), "{bad");
    const s = ContextStore.fromEnv(env);
    assert.throws(() => s.setCurrentContext("one"), /loading config file/);
    // Choosing the daemon goes on without it, as docker does.
    assert.equal(currentContextName({ hosts: [] }, env, s), "default");
    assert.equal(readFileSync(join(dir, "config.json"), "utf8"), "{bad");
  });
});

describe("which daemon", () => {
  const store = () => ContextStore.fromEnv(env);
  const make = (name: string, host: string) =>
    store().write({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } });

  test("docker's order: --context, -H/WHARF_HOST/DOCKER_HOST, DOCKER_CONTEXT, currentContext, default", () => {
    make("flagctx", "unix:///flag.sock");
    make("envctx", "unix:///envctx.sock");
    make("cfgctx", "unix:///cfg.sock");
    const name = (choice: { contextFlag?: string; hosts?: string[] }, extra: NodeJS.ProcessEnv = {}) =>
      currentContextName({ hosts: [], ...choice }, { ...env, ...extra }, store());
    assert.equal(name({}), "default");
    store().setCurrentContext("cfgctx");
    assert.equal(name({}), "cfgctx");
    assert.equal(name({}, { DOCKER_CONTEXT: "envctx" }), "envctx");
    assert.equal(name({}, { DOCKER_CONTEXT: "envctx", DOCKER_HOST: "unix:///dh.sock" }), "default");
    assert.equal(name({}, { DOCKER_CONTEXT: "envctx", WHARF_HOST: "unix:///wh.sock" }), "default");
    assert.equal(name({ hosts: ["unix:///h.sock"] }), "default");
    assert.equal(
      name({ contextFlag: "flagctx" }, { DOCKER_HOST: "unix:///dh.sock", DOCKER_CONTEXT: "envctx" }),
      "flagctx",
    );

    const host = (choice: { contextFlag?: string; hosts?: string[] }, extra: NodeJS.ProcessEnv = {}) =>
      resolveEndpoint({ hosts: [], ...choice }, { ...env, ...extra }).host;
    assert.equal(host({}), "unix:///cfg.sock");
    assert.equal(host({}, { DOCKER_CONTEXT: "envctx" }), "unix:///envctx.sock");
    assert.equal(host({ contextFlag: "flagctx" }, { DOCKER_HOST: "unix:///dh.sock" }), "unix:///flag.sock");
    // The default context leaves the host to resolveHost (-H, WHARF_HOST, DOCKER_HOST, wharf's socket).
    assert.equal(host({}, { DOCKER_HOST: "unix:///dh.sock" }), undefined);
    assert.equal(host({ hosts: ["unix:///h.sock"] }), "unix:///h.sock");
    assert.equal(host({ contextFlag: "default" }), undefined);
  });

  test("the default context is WHARF_HOST, then DOCKER_HOST, then wharf's socket", () => {
    assert.equal(defaultContext({}).Endpoints.docker?.Host, "unix:///run/wharf/wharf.sock");
    assert.equal(defaultContext({ DOCKER_HOST: "unix:///d" }).Endpoints.docker?.Host, "unix:///d");
    assert.equal(
      defaultContext({ DOCKER_HOST: "unix:///d", WHARF_HOST: "unix:///w" }).Endpoints.docker?.Host,
      "unix:///w",
    );
    assert.equal(
      defaultContext({ DOCKER_HOST: "unix:///d" }, "unix:///h").Endpoints.docker?.Host,
      "unix:///h",
    );
  });

  test("-H with --context, an unknown context, and a lost current context are docker's errors", () => {
    assert.throws(() => resolveEndpoint({ contextFlag: "x", hosts: ["unix:///h"] }, env), {
      message: "conflicting options: cannot specify both --host and --context",
    });
    const file = join(dir, "contexts/meta", contextDirName("nope"), "meta.json");
    const text = `Failed to initialize: unable to resolve docker endpoint: context "nope": context not found: open ${file}: no such file or directory`;
    assert.throws(() => resolveEndpoint({ contextFlag: "nope", hosts: [] }, env), { message: text });
    assert.throws(() => resolveEndpoint({ hosts: [] }, { ...env, DOCKER_CONTEXT: "nope" }), {
      message: text,
    });
    store().setCurrentContext("nope");
    assert.throws(() => resolveEndpoint({ hosts: [] }, env), { message: text });
  });

  test("a context's TLS files and skip-tls-verify become the client's TLS settings", () => {
    make("plain", "tcp://127.0.0.1:2375");
    assert.equal(resolveEndpoint({ contextFlag: "plain", hosts: [] }, env).tls, undefined);
    store().write({
      Name: "skip",
      Metadata: {},
      Endpoints: { docker: { Host: "tcp://127.0.0.1:2376", SkipTLSVerify: true } },
    });
    assert.equal(resolveEndpoint({ contextFlag: "skip", hosts: [] }, env).tls?.verify, false);
    make("withca", "tcp://127.0.0.1:2376");
    store().writeTls("withca", { ca: Buffer.from("CA"), cert: Buffer.from("CERT"), key: Buffer.from("KEY") });
    const tls = resolveEndpoint({ contextFlag: "withca", hosts: [] }, env).tls;
    assert.equal(tls?.verify, true);
    assert.equal(tls?.ca?.toString(), "CA");
    assert.equal(tls?.key?.toString(), "KEY");
    assert.deepEqual(store().tlsMaterial("withca"), { docker: ["ca.pem", "cert.pem", "key.pem"] });
  });
});

describe("with the real docker CLI", { skip: !hasDocker && "docker CLI not installed" }, () => {
  test("contexts docker creates and selects are read and used", () => {
    docker(
      "context",
      "create",
      "fromdocker",
      "--description",
      "made by docker",
      "--docker",
      "host=unix:///tmp/d.sock",
    );
    const s = ContextStore.fromEnv(env);
    assert.deepEqual(s.get("fromdocker"), {
      Name: "fromdocker",
      Metadata: { Description: "made by docker" },
      Endpoints: { docker: { Host: "unix:///tmp/d.sock", SkipTLSVerify: false } },
    });
    assert.ok(existsSync(join(dir, "contexts/meta", contextDirName("fromdocker"))));
    docker("context", "use", "fromdocker");
    assert.equal(resolveEndpoint({ hosts: [] }, env).host, "unix:///tmp/d.sock");
  });

  test("contexts wharf writes and selects are read and used by docker", () => {
    const s = ContextStore.fromEnv(env);
    s.write({
      Name: "fromwharf",
      Metadata: { Description: "made by wharf" },
      Endpoints: { docker: { Host: "unix:///tmp/w.sock", SkipTLSVerify: true } },
    });
    s.setCurrentContext("fromwharf");
    const rows = docker("context", "ls", "--format", "json")
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as { Name: string; Current: boolean; DockerEndpoint: string; Description: string },
      );
    const row = rows.find((r) => r.Name === "fromwharf");
    assert.deepEqual(row && { ...row }, {
      Current: true,
      Description: "made by wharf",
      DockerEndpoint: "unix:///tmp/w.sock",
      Error: "",
      Name: "fromwharf",
    });
    assert.equal(docker("context", "show").trim(), "fromwharf");
    const inspected = JSON.parse(docker("context", "inspect", "fromwharf")) as Array<{
      Endpoints: { docker: { SkipTLSVerify: boolean } };
    }>;
    assert.equal(inspected[0]?.Endpoints.docker.SkipTLSVerify, true);
  });
});

describe("context archive", () => {
  test("pack then unpack keeps the files and leaves directories out", () => {
    const tar = packArchive([
      { path: "meta.json", data: Buffer.from("{}"), mode: 0o644 },
      { path: "tls", mode: 0o700 },
      { path: "tls/docker", mode: 0o700 },
      { path: "tls/docker/ca.pem", data: Buffer.alloc(700, 65), mode: 0o600 },
    ]);
    assert.equal(tar.length % 512, 0);
    const files = unpackArchive(tar);
    assert.deepEqual([...files.keys()], ["meta.json", "tls/docker/ca.pem"]);
    assert.equal(files.get("tls/docker/ca.pem")?.length, 700);
  });

  test("an archive without the closing zero blocks (docker's export) still reads; a cut one does not", () => {
    const tar = packArchive([{ path: "meta.json", data: Buffer.from('{"Name":"x"}'), mode: 0o644 }]);
    const noFooter = tar.subarray(0, tar.length - 1024);
    assert.equal(unpackArchive(noFooter).get("meta.json")?.toString(), '{"Name":"x"}');
    assert.throws(() => unpackArchive(noFooter.subarray(0, 520)), /unexpected EOF/);
    assert.throws(() => unpackArchive(Buffer.alloc(512, 1)), /invalid tar header/);
  });

  test("import renames the context and restores its TLS files; no meta.json is docker's error", () => {
    const s = ContextStore.fromEnv(env);
    s.write({
      Name: "src1",
      Metadata: {},
      Endpoints: { docker: { Host: "tcp://h:2376", SkipTLSVerify: false } },
    });
    s.writeTls("src1", { ca: Buffer.from("CA") });
    s.importArchive("copy1", s.exportArchive(s.get("src1")));
    assert.equal(s.get("copy1").Name, "copy1");
    assert.equal(s.readTls("copy1").ca?.toString(), "CA");
    assert.throws(() => s.importArchive("copy2", packArchive([])), {
      message: "invalid context: no metadata found",
    });
    assert.equal(s.exists("copy2"), false);
  });
});
