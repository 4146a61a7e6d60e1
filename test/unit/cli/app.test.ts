// The command line without a daemon: usage errors, help, exit codes as docker's.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { runCli } from "../../../src/cli/app.ts";

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
  // A socket nobody listens on: commands that reach the daemon fail to connect.
  const code = await runCli(
    argv,
    { stdin, stdout, stderr },
    { WHARF_HOST: "unix:///nonexistent/wharf-test.sock" },
  );
  return { code, stdout: out, stderr: err };
}

test("unknown flags exit 125 with docker's usage hint", async () => {
  const r = await cli("run", "--x", "busybox");
  assert.equal(r.code, 125);
  assert.equal(
    r.stderr,
    "unknown flag: --x\n\nUsage:  wharf run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'wharf run --help' for more information\n",
  );
  const ps = await cli("ps", "--bogus");
  assert.equal(ps.code, 125);
  assert.match(ps.stderr, /^unknown flag: --bogus\n/);
  const bad = await cli("run", "-m", "abc", "busybox");
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'/);
});

test("argument counts exit 1", async () => {
  const rm = await cli("rm");
  assert.equal(rm.code, 1);
  assert.equal(
    rm.stderr,
    "wharf: 'wharf rm' requires at least 1 argument\n\nUsage:  wharf rm [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'wharf rm --help' for more information\n",
  );
  const ps = await cli("ps", "x");
  assert.equal(ps.code, 1);
  assert.match(ps.stderr, /'wharf ps' accepts no arguments/);
  const rename = await cli("container", "rename", "a");
  assert.equal(rename.code, 1);
  assert.match(rename.stderr, /'wharf container rename' requires 2 arguments/);
});

test("help goes to stdout and exits 0", async () => {
  const r = await cli("run", "--help");
  assert.equal(r.code, 0);
  assert.match(
    r.stdout,
    /^Usage: {2}wharf run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]\n\nCreate and run a new container from an image\n\nAliases:\n {2}wharf container run, wharf run\n/,
  );
  assert.match(r.stdout, /\n {2}-m, --memory bytes {2,}Memory limit\n/);
  const ps = await cli("container", "ls", "-h");
  assert.equal(ps.code, 0);
  assert.match(ps.stdout, /^Usage: {2}wharf container ls \[OPTIONS\]/);
  const root = await cli();
  assert.equal(root.code, 0);
  assert.match(root.stdout, /^Usage: {2}wharf \[OPTIONS\] COMMAND\n/);
  assert.match(root.stdout, /Global Options:\n/);
  const group = await cli("image");
  assert.match(group.stdout, /^Usage: {2}wharf image COMMAND\n\nManage images\n\nCommands:\n {2}bootstrap /);
});

test("unknown commands", async () => {
  const r = await cli("nosuch");
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "wharf: unknown command: wharf nosuch\n\nRun 'wharf --help' for more information\n");
  const sub = await cli("image", "nosuch");
  assert.equal(sub.code, 1);
  assert.match(sub.stderr, /^wharf: unknown command: wharf image nosuch\n/);
  const globalFlag = await cli("-x");
  assert.equal(globalFlag.code, 125);
  assert.match(
    globalFlag.stderr,
    /^unknown shorthand flag: 'x' in -x\n\nUsage: {2}wharf \[OPTIONS\] COMMAND \[ARG\.\.\.\]/,
  );
});

test("no daemon: docker's message; run wraps it and exits 125", async () => {
  const ps = await cli("ps");
  assert.equal(ps.code, 1);
  assert.equal(
    ps.stderr,
    "Cannot connect to the Docker daemon at unix:///nonexistent/wharf-test.sock. Is the docker daemon running?\n",
  );
  const run = await cli("run", "busybox");
  assert.equal(run.code, 125);
  assert.equal(
    run.stderr,
    "wharf: Cannot connect to the Docker daemon at unix:///nonexistent/wharf-test.sock. Is the docker daemon running?\n\nRun 'wharf run --help' for more information\n",
  );
  const two = await cli("-H", "unix:///a", "-H", "unix:///b", "ps");
  assert.equal(two.code, 1);
  assert.match(two.stderr, /Specify only one -H/);
});

test("client-side checks before the daemon is contacted", async () => {
  const tty = await cli("run", "-it", "busybox");
  assert.equal(tty.code, 1);
  assert.equal(tty.stderr, "the input device is not a TTY\n");
  const both = await cli("run", "-d", "-a", "stdout", "busybox");
  assert.equal(both.code, 1);
  assert.equal(both.stderr, "conflicting options: cannot specify both --attach and --detach\n");
  const rm = await cli("run", "--rm", "--restart", "always", "busybox");
  assert.equal(rm.code, 125);
  assert.match(
    rm.stderr,
    /^wharf: conflicting options: cannot specify both --restart and --rm\n\nRun 'wharf run --help'/,
  );
  const filter = await cli("ps", "--filter", "foo");
  assert.equal(filter.code, 125);
  assert.match(filter.stderr, /bad format of filter \(expected name=value\)/);
  const version = await cli("-v");
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^wharf version /);
});
