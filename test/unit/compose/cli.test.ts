// `wharf compose` without a daemon: help, unknown commands and flags, config from files, and
// errors that need no engine (no file, schema, missing daemon).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables in the fixtures
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, test } from "node:test";
import { runCli } from "../../../src/cli/app.ts";

const dir = mkdtempSync(join(tmpdir(), "wharf-compose-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const stdin = new PassThrough();
  stdin.end();
  const code = await runCli(
    argv,
    { stdin, stdout, stderr },
    { WHARF_HOST: "unix:///nonexistent/wharf-test.sock" },
  );
  return { code, stdout: out, stderr: err };
}

test("compose --help lists the subcommands; wharf --help lists compose", async () => {
  const r = await cli("compose", "--help");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: {2}wharf compose \[OPTIONS\] COMMAND$/m);
  for (const c of ["up", "down", "ps", "logs", "exec", "run", "config", "ls"])
    assert.match(r.stdout, new RegExp(`^  ${c} +`, "m"));
  assert.match((await cli("--help")).stdout, /^ {2}compose +Define and run multi-container applications$/m);
  const up = await cli("compose", "up", "--help");
  assert.match(up.stdout, /^Usage: {2}wharf compose up \[OPTIONS\] \[SERVICE\.\.\.\]$/m);
  assert.match(up.stdout, /--force-recreate/);
});

test("unknown subcommands and flags fail with exit 1", async () => {
  const r = await cli("compose", "bogus");
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'unknown docker command: "compose bogus"\n');
  const f = await cli("compose", "up", "--nope");
  assert.equal(f.code, 1);
  assert.match(f.stderr, /^unknown flag: --nope\n\nUsage: {2}wharf compose up/);
});

test("config works without a daemon; file errors are named", async () => {
  writeFileSync(
    join(dir, "c.yaml"),
    'services:\n  web:\n    image: busybox\n    environment: ["A=$${LITERAL}"]\n',
  );
  const r = await cli("compose", "-f", join(dir, "c.yaml"), "-p", "demo", "config", "--format", "json");
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    name: string;
    services: { web: { environment: Record<string, string> } };
  };
  assert.equal(doc.name, "demo");
  assert.deepEqual(doc.services.web.environment, { A: "${LITERAL}" });
  const missing = await cli("compose", "-f", join(dir, "nope.yaml"), "config");
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `open ${join(dir, "nope.yaml")}: no such file or directory\n`);
  writeFileSync(join(dir, "bad.yaml"), "services:\n  web:\n    image: busybox\n    restart: [no]\n");
  const bad = await cli("compose", "-f", join(dir, "bad.yaml"), "config");
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, `validating ${join(dir, "bad.yaml")}: services.web.restart must be a string\n`);
});

test("config --no-interpolate prints variables and $$ as written, still validated", async () => {
  writeFileSync(
    join(dir, "vars.yaml"),
    "services:\n  web:\n    image: busybox:${TAG:-latest}\n    command: echo $$HOME ${GREETING}\n    environment:\n      A: ${A}\n",
  );
  const raw = await cli(
    "compose",
    "-f",
    join(dir, "vars.yaml"),
    "config",
    "--no-interpolate",
    "--format",
    "json",
  );
  assert.equal(raw.code, 0, raw.stderr);
  assert.equal(raw.stderr, "", "no unset-variable warnings: nothing is looked up");
  const doc = JSON.parse(raw.stdout) as {
    services: { web: { image: string; command: string[]; environment: Record<string, string> } };
  };
  assert.equal(doc.services.web.image, "busybox:${TAG:-latest}");
  assert.deepEqual(doc.services.web.command, ["echo", "$$HOME", "${GREETING}"]);
  assert.deepEqual(doc.services.web.environment, { A: "${A}" });
  const interpolated = await cli("compose", "-f", join(dir, "vars.yaml"), "config", "--format", "json");
  assert.equal(interpolated.code, 0, interpolated.stderr);
  assert.match(interpolated.stdout, /"image": "busybox:latest"/);
  writeFileSync(join(dir, "badraw.yaml"), "services:\n  web:\n    image: ${IMG}\n    restart: [no]\n");
  const bad = await cli("compose", "-f", join(dir, "badraw.yaml"), "config", "--no-interpolate");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /services\.web\.restart must be a string/);
});

test("commands that need the daemon say it cannot be reached", async () => {
  writeFileSync(join(dir, "d.yaml"), "services:\n  web:\n    image: busybox\n");
  const r = await cli("compose", "-f", join(dir, "d.yaml"), "ps");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nonexistent\/wharf-test\.sock/);
});
