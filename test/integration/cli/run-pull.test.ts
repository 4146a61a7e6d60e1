// wharf run / create --pull missing|always|never against `wharf registry serve` on 127.0.0.1:
// the lookup notice, where the pull output goes, -q, and docker's errors and exit codes.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { killAfter } from "../../helpers/bounded.ts";
import { busyboxTar } from "../../helpers/images.ts";
import { startTestRegistry, type TestRegistry } from "../registry/helpers.ts";
import { type Daemon, startDaemon, wharf, wharfBin } from "./harness.ts";

let daemon: Daemon;
let reg: TestRegistry;
let host: string;
let cfg: string;
let name: string;
const cli = (...args: string[]) => wharf(daemon.host, args);
/** Prints the image's WHICH env, or "registry" when the image has none. */
const SHOW_WHICH = 'test -n "$WHICH" && echo "$WHICH" || echo registry';

before(async () => {
  cfg = mkdtempSync(join(tmpdir(), "wharf-run-pull-cfg-"));
  process.env.DOCKER_CONFIG = cfg;
  reg = await startTestRegistry();
  host = new URL(reg.url).host;
  name = `${host}/runpull/bb:1`;
  daemon = await startDaemon();
  const imported = await cli("import", await busyboxTar(), name);
  assert.equal(imported.code, 0, imported.stderr);
  const pushed = await cli("push", "-q", name);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.equal((await cli("rmi", name)).code, 0);
});
after(async () => {
  try {
    await daemon?.stop();
  } finally {
    await reg?.close(); // an open server in this process would keep the test file alive
    rmSync(cfg, { recursive: true, force: true });
  }
});

test("--pull never: docker's No such image error (run exits 125 with help, create 1)", async () => {
  const run = await cli("run", "--rm", "--pull", "never", name, "true");
  assert.equal(run.code, 125);
  assert.equal(
    run.stderr,
    `wharf: Error response from daemon: No such image: ${name}\n\nRun 'wharf run --help' for more information\n`,
  );
  const create = await cli("create", "--pull", "never", name);
  assert.equal(create.code, 1);
  assert.equal(create.stderr, `Error response from daemon: No such image: ${name}\n`);
  assert.equal(create.stdout, "");
});

test("an invalid --pull value is a usage error", async () => {
  for (const cmd of ["run", "create"]) {
    const r = await cli(cmd, "--pull", "bogus", name);
    assert.equal(r.code, 125);
    assert.equal(
      r.stderr,
      `wharf: invalid pull option: 'bogus': must be one of "always", "missing" or "never"\n\nRun 'wharf ${cmd} --help' for more information\n`,
    );
  }
});

test("--pull missing (the default): lookup notice and pull progress on stderr, -q silences both", async () => {
  const r = await cli("run", "--rm", name, "echo", "pulled");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "pulled\n");
  assert.ok(
    r.stderr.startsWith(`Unable to find image '${name}' locally\n1: Pulling from runpull/bb\n`),
    r.stderr,
  );
  assert.match(r.stderr, new RegExp(`^Status: Downloaded newer image for ${name}$`, "m"));

  // Present now: no pull at all.
  const again = await cli("run", "--rm", "--pull", "missing", name, "echo", "local");
  assert.equal(again.stdout, "local\n");
  assert.equal(again.stderr, "");

  assert.equal((await cli("rmi", name)).code, 0);
  const quiet = await cli("run", "--rm", "-q", name, "echo", "quiet");
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stdout, "quiet\n");
  assert.equal(quiet.stderr, "");
});

test("--pull always: the registry's image replaces a stale local tag before create", async () => {
  // A local image under the same name that differs from the registry's (an extra ENV).
  assert.equal((await cli("rmi", "-f", name)).code, 0);
  const stale = await cli("import", "-c", "ENV WHICH=stale", await busyboxTar(), name);
  assert.equal(stale.code, 0, stale.stderr);
  const missing = await cli("run", "--rm", name, "sh", "-c", SHOW_WHICH);
  assert.equal(missing.stdout, "stale\n", missing.stderr);

  const created = await cli("create", "--pull", "always", name, "sh", "-c", SHOW_WHICH);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^[a-f0-9]{64}\n$/);
  assert.doesNotMatch(created.stderr, /Unable to find image/);
  assert.match(created.stderr, /^1: Pulling from runpull\/bb$/m);
  assert.match(created.stderr, new RegExp(`^Status: Downloaded newer image for ${name}$`, "m"));
  const started = await cli("start", "-a", created.stdout.trim());
  assert.equal(started.stdout, "registry\n", started.stderr);
  assert.equal((await cli("rm", created.stdout.trim())).code, 0);

  const upToDate = await cli("run", "--rm", "--pull", "always", name, "true");
  assert.equal(upToDate.code, 0, upToDate.stderr);
  assert.match(upToDate.stderr, new RegExp(`^Status: Image is up to date for ${name}$`, "m"));
});

test("--pull always with an unreachable registry fails before create, without the lookup notice", async () => {
  const r = await cli("run", "--rm", "--pull", "always", "127.0.0.1:1/nosuch/img:1", "true");
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^wharf: Error response from daemon: .*127\.0\.0\.1:1.*\n\nRun 'wharf run --help'/);
  assert.doesNotMatch(r.stderr, /Unable to find image/);
  const ps = await cli("ps", "-aq");
  assert.equal(ps.stdout, "");
});

const hasScript = spawnSync("script", ["--version"]).status === 0;

test("pull on a terminal: layers redrawn in place at the terminal's width", {
  skip: !hasScript && "no script(1)",
}, async () => {
  await cli("rmi", "-f", name); // absent already when run alone
  // script(1) gives wharf a pseudo-terminal; stty sets its width (no bar at 100 columns or less).
  const shell = `stty cols 100; ${wharfBin} -H ${daemon.host} pull ${name}`;
  const r = await new Promise<string>((resolve, reject) => {
    const child = spawn("script", ["-qec", shell, "/dev/null"], { stdio: ["ignore", "pipe", "inherit"] });
    killAfter(child, 120_000);
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", () => resolve(out));
  });
  assert.match(r, /\r\x1b\[2K[0-9a-f]{12}: (Pull complete|Already exists) \r/);
  assert.match(r, new RegExp(`Status: Downloaded newer image for ${name}\\r?\\n`));
  // Byte counts, when the pull was slow enough to send any, carry sizes, speed and time left,
  // and no bar at this width.
  for (const line of r.match(/Downloading [^\r]*\r/g) ?? [])
    assert.match(line, /^Downloading +[\d.]+[kMG]?B\/[\d.]+[kMG]?B( [\d.]+[kMG]?B\/s)?( [\dhms]+)?\r$/);
});
