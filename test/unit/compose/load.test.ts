// The compose loader end to end on files in a temp directory: lookup, project names, .env,
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose interpolation syntax is the subject here
// several -f merged, extends, include, profiles, anchors, merge tags, schema errors.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadProject } from "../../../src/compose/loader/load.ts";

const root = mkdtempSync(join(tmpdir(), "wharf-compose-load-"));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh project directory holding the given files. */
function project(files: Record<string, string>, dirName?: string): string {
  const dir = join(root, dirName ?? `p${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const load = (cwd: string, extra: Partial<Parameters<typeof loadProject>[0]> = {}) =>
  loadProject({ env: {}, cwd, ...extra });

test("finds compose.yaml in the directory or a parent; name from the directory, normalised", () => {
  const dir = project(
    { "compose.yaml": "services:\n  web:\n    image: busybox\n", "sub/x": "" },
    "My_App.Dir",
  );
  const p = load(join(dir, "sub"));
  assert.equal(p.name, "my_appdir");
  assert.deepEqual(Object.keys(p.services), ["web"]);
  assert.equal(p.workingDir, dir);
  assert.equal(p.networks.default?.name, "my_appdir_default");
});

test("docker-compose.yml is found too, and its override file is merged", () => {
  const dir = project({
    "docker-compose.yml": "services:\n  web:\n    image: a\n    environment: [X=1]\n",
    "docker-compose.override.yml": "services:\n  web:\n    environment:\n      Y: '2'\n",
  });
  assert.deepEqual(load(dir).services.web?.environment, { X: "1", Y: "2" });
});

test("no file: a clear error", () => {
  const dir = project({ "readme.txt": "" });
  assert.throws(() => load(dir, { cwd: dir, env: {} }), /no configuration file provided: not found/);
});

test("project name: -p over COMPOSE_PROJECT_NAME over name: over directory; invalid -p refused", () => {
  const dir = project({ "compose.yaml": "name: fromfile\nservices:\n  a:\n    image: x\n" });
  assert.equal(load(dir).name, "fromfile");
  assert.equal(load(dir, { env: { COMPOSE_PROJECT_NAME: "fromenv" } }).name, "fromenv");
  assert.equal(load(dir, { projectName: "flag", env: { COMPOSE_PROJECT_NAME: "fromenv" } }).name, "flag");
  assert.throws(() => load(dir, { projectName: "Bad Name" }), /is not a valid project name/);
});

test(".env feeds interpolation; the process environment wins; --env-file replaces .env", () => {
  const dir = project({
    "compose.yaml": "services:\n  web:\n    image: busybox:${TAG}\n    ports: ['${PORT:-80}:80']\n",
    ".env": "TAG=1.36\nPORT=8081\n",
    "other.env": "TAG=other\n",
  });
  const p = load(dir);
  assert.equal(p.services.web?.image, "busybox:1.36");
  assert.equal(p.services.web?.ports?.[0]?.published, "8081");
  assert.equal(load(dir, { env: { TAG: "env" } }).services.web?.image, "busybox:env");
  assert.equal(load(dir, { envFiles: [join(dir, "other.env")] }).services.web?.image, "busybox:other");
  assert.equal(load(dir, { envFiles: [join(dir, "other.env")] }).services.web?.ports?.[0]?.published, "80");
  assert.equal(load(dir, { env: { COMPOSE_PROJECT_NAME: "viaenv" } }).name, "viaenv");
});

test("COMPOSE_PROJECT_NAME may come from .env", () => {
  const dir = project({
    "compose.yaml": "services:\n  a:\n    image: x\n",
    ".env": "COMPOSE_PROJECT_NAME=dotenvname\n",
  });
  assert.equal(load(dir).name, "dotenvname");
});

test("a required variable that is missing stops loading", () => {
  const dir = project({ "compose.yaml": "services:\n  a:\n    image: ${IMG:?set IMG}\n" });
  assert.throws(() => load(dir), /required variable IMG is missing a value: set IMG/);
});

test("two -f files merge by the spec's rules", () => {
  const dir = project({
    "a.yaml": [
      "services:",
      "  web:",
      "    image: base",
      "    command: [a, b]",
      "    environment: {A: '1', B: '1'}",
      "    ports: ['8080:80']",
      "    volumes: ['/h1:/data', '/h2:/other']",
      "    dns: [1.1.1.1]",
      "    labels: [x=1]",
      "  db:",
      "    image: db",
    ].join("\n"),
    "b.yaml": [
      "services:",
      "  web:",
      "    image: over",
      "    command: c",
      "    environment: [B=2, C=3]",
      "    ports: ['9090:90']",
      "    volumes: ['/h3:/data']",
      "    dns: 1.1.1.1",
      "    labels: {y: '2'}",
    ].join("\n"),
  });
  const p = load(dir, { files: ["a.yaml", "b.yaml"] });
  const web = p.services.web;
  assert.equal(web?.image, "over");
  assert.deepEqual(web?.command, ["c"]);
  assert.deepEqual(web?.environment, { A: "1", B: "2", C: "3" });
  assert.deepEqual(
    web?.ports?.map((x) => `${x.published}:${x.target}`),
    ["8080:80", "9090:90"],
  );
  assert.deepEqual(
    web?.volumes?.map((v) => `${v.source}:${v.target}`),
    ["/h3:/data", "/h2:/other"],
  );
  assert.deepEqual(web?.dns, ["1.1.1.1"]);
  assert.deepEqual(web?.labels, { x: "1", y: "2" });
  assert.equal(p.services.db?.image, "db");
  assert.deepEqual(p.configFiles, [join(dir, "a.yaml"), join(dir, "b.yaml")]);
});

test("!reset and !override tags in a later file", () => {
  const dir = project({
    "a.yaml": "services:\n  web:\n    image: x\n    ports: ['80:80']\n    environment: {A: '1', B: '2'}\n",
    "b.yaml": "services:\n  web:\n    ports: !reset []\n    environment: !override {C: '3'}\n",
  });
  const web = load(dir, { files: ["a.yaml", "b.yaml"] }).services.web;
  assert.equal(web?.ports, undefined);
  assert.deepEqual(web?.environment, { C: "3" });
});

test("anchors, aliases and merge keys", () => {
  const dir = project({
    "compose.yaml": [
      "x-base: &base",
      "  image: busybox",
      "  restart: always",
      "  environment: &env {A: '1'}",
      "services:",
      "  one:",
      "    <<: *base",
      "  two:",
      "    <<: *base",
      "    restart: 'no'",
      "    labels: *env",
    ].join("\n"),
  });
  const p = load(dir);
  assert.equal(p.services.one?.restart, "always");
  assert.equal(p.services.two?.restart, "no");
  assert.equal(p.services.two?.image, "busybox");
  assert.deepEqual(p.services.two?.labels, { A: "1" });
});

test("extends: same file and another file, merged with local values winning", () => {
  const dir = project({
    "common.yaml":
      "services:\n  base:\n    image: common\n    environment: {FROM: common, KEEP: k}\n    env_file: common.env\n",
    "common.env": "FILEVAR=yes\n",
    "compose.yaml": [
      "services:",
      "  tmpl:",
      "    image: tmpl",
      "    command: sleep 1",
      "  a:",
      "    extends: tmpl",
      "    command: sleep 2",
      "  b:",
      "    extends: {file: common.yaml, service: base}",
      "    environment: {FROM: local}",
    ].join("\n"),
  });
  const p = load(dir);
  assert.equal(p.services.a?.image, "tmpl");
  assert.deepEqual(p.services.a?.command, ["sleep", "2"]);
  assert.equal(p.services.b?.image, "common");
  assert.deepEqual(p.services.b?.environment, { FILEVAR: "yes", FROM: "local", KEEP: "k" });
});

test("extends cycles are named", () => {
  const dir = project({
    "compose.yaml": "services:\n  a:\n    image: x\n    extends: b\n  b:\n    image: y\n    extends: a\n",
  });
  assert.throws(() => load(dir), /circular reference with extends/);
});

test("include: a sub-project with its own directory and .env; conflicts refused", () => {
  const dir = project({
    "sub/compose.yaml": "services:\n  db:\n    image: db:${DBTAG}\n    volumes: [./data:/data]\n",
    "sub/.env": "DBTAG=15\n",
    "compose.yaml":
      "include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: web\n    depends_on: [db]\n",
  });
  const p = load(dir);
  assert.equal(p.services.db?.image, "db:15");
  assert.equal(p.services.db?.volumes?.[0]?.source, join(dir, "sub", "data"));
  assert.ok(p.services.web);
  const clash = project({
    "sub/compose.yaml": "services:\n  web:\n    image: a\n",
    "compose.yaml": "include: [sub/compose.yaml]\nservices:\n  web:\n    image: b\n",
  });
  assert.throws(() => load(clash), /services\.web conflicts with imported resource/);
});

test("profiles: off by default, on by --profile or COMPOSE_PROFILES, or when named", () => {
  const dir = project({
    "compose.yaml": "services:\n  app:\n    image: a\n  debug:\n    image: d\n    profiles: [debug]\n",
  });
  assert.deepEqual(Object.keys(load(dir).services), ["app"]);
  assert.ok(load(dir).disabledServices.debug);
  assert.deepEqual(Object.keys(load(dir, { profiles: ["debug"] }).services), ["app", "debug"]);
  assert.deepEqual(Object.keys(load(dir, { env: { COMPOSE_PROFILES: "debug" } }).services), ["app", "debug"]);
  assert.deepEqual(Object.keys(load(dir, { services: ["debug"] }).services), ["app", "debug"]);
});

test("schema errors name the file and the key path; nothing else is read", () => {
  const dir = project({
    "compose.yaml": "services:\n  web:\n    image: x\n    bogus: 1\n",
    "bad-port.yaml": "services:\n  web:\n    image: x\n    ports: [{target: 80, nope: 1}]\n",
    "bad-type.yaml": "services:\n  web:\n    image: [x]\n",
    "bad-top.yaml": "servics: {}\n",
  });
  assert.throws(() => load(dir), {
    message: `validating ${join(dir, "compose.yaml")}: services.web additional properties 'bogus' not allowed`,
  });
  assert.throws(
    () => load(dir, { files: ["bad-port.yaml"] }),
    /services\.web\.ports\.0 additional properties 'nope' not allowed/,
  );
  assert.throws(() => load(dir, { files: ["bad-type.yaml"] }), /services\.web\.image must be a string/);
  assert.throws(() => load(dir, { files: ["bad-top.yaml"] }), /additional properties 'servics' not allowed/);
});

test("invalid YAML names the file, line and column", () => {
  const dir = project({ "compose.yaml": "services:\n  web:\n    image: x\n   bad: [\n" });
  assert.throws(
    () => load(dir),
    (err: Error) => err.message.includes(join(dir, "compose.yaml")) && /line \d+/.test(err.message),
  );
});

test("references to undefined services, volumes and networks are errors", () => {
  const dep = project({ "compose.yaml": "services:\n  a:\n    image: x\n    depends_on: [ghost]\n" });
  assert.throws(() => load(dep), /service "a" depends on undefined service "ghost"/);
  const vol = project({ "compose.yaml": "services:\n  a:\n    image: x\n    volumes: ['data:/d']\n" });
  assert.throws(() => load(vol), /refers to undefined volume data/);
  const net = project({ "compose.yaml": "services:\n  a:\n    image: x\n    networks: [back]\n" });
  assert.throws(() => load(net), /refers to undefined network back/);
  const neither = project({ "compose.yaml": "services:\n  a:\n    command: x\n" });
  assert.throws(() => load(neither), /neither an image nor a build context/);
});

test("keys wharf does not act on are reported, x- extensions are not", () => {
  const dir = project({
    "compose.yaml": "services:\n  a:\n    image: x\n    cgroup_parent: p\n    x-mine: 1\n",
  });
  const p = load(dir);
  assert.deepEqual(p.warnings, [
    'service "a": "cgroup_parent" is not supported by wharf compose and is ignored',
  ]);
});

test("normalisation of short syntaxes", () => {
  const dir = project({
    "compose.yaml": [
      "services:",
      "  a:",
      "    build: ./ctx",
      "    command: sh -c 'echo \"hi there\"'",
      "    environment: [BARE, SET=1]",
      "    env_file: [{path: missing.env, required: false}]",
      "    ports: ['127.0.0.1:8000-8001:80-81/udp', '[::1]:53:53']",
      "    volumes: [named:/n:ro, /abs:/abs, ./rel:/rel, /anon]",
      "    depends_on: {b: {condition: service_healthy}}",
      "    healthcheck: {test: curl -f localhost, retries: '3'}",
      "    extra_hosts: {host1: 10.0.0.1}",
      "    ulimits: {nofile: 1024, nproc: {soft: 1, hard: 2}}",
      "    tmpfs: /run",
      "    secrets: [token]",
      "    deploy: {replicas: 3, resources: {limits: {memory: 64m, cpus: '0.5'}}}",
      "  b:",
      "    image: b",
      "volumes:",
      "  named:",
      "secrets:",
      "  token:",
      "    file: ./token.txt",
    ].join("\n"),
  });
  const p = load(dir, { env: { BARE: "fromenv" } });
  const a = p.services.a;
  assert.equal(a?.image, `${p.name}-a`);
  assert.equal(a?.build?.context, join(dir, "ctx"));
  assert.deepEqual(a?.command, ["sh", "-c", 'echo "hi there"']);
  assert.deepEqual(a?.environment, { BARE: "fromenv", SET: "1" });
  assert.deepEqual(a?.ports, [
    { mode: "ingress", host_ip: "127.0.0.1", target: 80, published: "8000", protocol: "udp" },
    { mode: "ingress", host_ip: "127.0.0.1", target: 81, published: "8001", protocol: "udp" },
    { mode: "ingress", host_ip: "::1", target: 53, published: "53", protocol: "tcp" },
  ]);
  assert.deepEqual(a?.volumes, [
    { type: "volume", source: "named", target: "/n", read_only: true },
    { type: "bind", source: "/abs", target: "/abs", bind: { create_host_path: true } },
    { type: "bind", source: join(dir, "rel"), target: "/rel", bind: { create_host_path: true } },
    { type: "volume", target: "/anon" },
  ]);
  assert.deepEqual(a?.depends_on, { b: { condition: "service_healthy", restart: false, required: true } });
  assert.deepEqual(a?.healthcheck, { test: ["CMD-SHELL", "curl -f localhost"], retries: 3 });
  assert.deepEqual(a?.extra_hosts, ["host1:10.0.0.1"]);
  assert.deepEqual(a?.ulimits, { nofile: { soft: 1024, hard: 1024 }, nproc: { soft: 1, hard: 2 } });
  assert.deepEqual(a?.tmpfs, ["/run"]);
  assert.deepEqual(a?.secrets, [{ source: "token", target: "/run/secrets/token" }]);
  assert.equal(a?.deploy?.replicas, 3);
  assert.deepEqual(a?.deploy?.resources?.limits, { memory: 64 * 1024 * 1024, cpus: "0.5" });
  assert.equal(p.volumes.named?.name, `${p.name}_named`);
  assert.equal(p.secrets.token?.file, join(dir, "token.txt"));
});
