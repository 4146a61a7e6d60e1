import assert from "node:assert/strict";
import { test } from "node:test";
import { FlagError, type FlagSpec, parseFlags, parseGoInt } from "../../../src/cli/flags.ts";

const specs: FlagSpec[] = [
  { name: "interactive", short: "i", usage: "" },
  { name: "tty", short: "t", usage: "" },
  { name: "detach", short: "d", usage: "" },
  { name: "rm", usage: "" },
  { name: "name", type: "string", usage: "" },
  { name: "env", short: "e", type: "list", usage: "" },
  { name: "publish", short: "p", type: "list", usage: "" },
  {
    name: "memory",
    short: "m",
    type: "bytes",
    usage: "",
    validate: (v) => {
      if (!/^\d+[kmg]?$/.test(v)) throw new Error(`invalid size: '${v}'`);
    },
  },
  {
    name: "cpus",
    type: "decimal",
    usage: "",
    validate: () => {
      throw new Error("failed to parse abc as a rational number");
    },
  },
];

test("short flags combine, and values attach or follow", () => {
  const { flags, args } = parseFlags(["-it", "-p8080:80", "-p", "9090:90", "-e=A=1", "busybox"], specs);
  assert.equal(flags.bool("interactive"), true);
  assert.equal(flags.bool("tty"), true);
  assert.equal(flags.bool("detach"), false);
  assert.deepEqual(flags.list("publish"), ["8080:80", "9090:90"]);
  assert.deepEqual(flags.list("env"), ["A=1"]);
  assert.deepEqual(args, ["busybox"]);
});

test("a value flag inside a cluster takes the rest of the cluster", () => {
  const { flags } = parseFlags(["-dm64m"], specs);
  assert.equal(flags.bool("detach"), true);
  assert.equal(flags.string("memory"), "64m");
});

test("--flag=value, --flag value, repeated flags keep order, the last scalar wins", () => {
  const { flags } = parseFlags(["--name=a", "--name", "b", "--env", "X=1", "--env=Y=2", "--rm=false"], specs);
  assert.equal(flags.string("name"), "b");
  assert.deepEqual(flags.list("env"), ["X=1", "Y=2"]);
  assert.equal(flags.changed("rm"), true);
  assert.equal(flags.bool("rm"), false);
  assert.equal(flags.changed("tty"), false);
});

test("a value flag takes the next argument even when it starts with a dash", () => {
  const { flags } = parseFlags(["--name", "-x"], specs);
  assert.equal(flags.string("name"), "-x");
});

test("interspersed (default): flags after positionals still count", () => {
  const { flags, args } = parseFlags(["a", "-d", "b"], specs);
  assert.equal(flags.bool("detach"), true);
  assert.deepEqual(args, ["a", "b"]);
});

test("not interspersed: the first positional ends the flags (the container command keeps its own)", () => {
  const { flags, args } = parseFlags(["-d", "busybox", "ls", "-la", "--name", "x"], specs, {
    interspersed: false,
  });
  assert.equal(flags.bool("detach"), true);
  assert.equal(flags.changed("name"), false);
  assert.deepEqual(args, ["busybox", "ls", "-la", "--name", "x"]);
});

test("-- ends the flags; a lone - is a positional", () => {
  const { flags, args } = parseFlags(["-d", "--", "-t", "x"], specs);
  assert.equal(flags.bool("tty"), false);
  assert.deepEqual(args, ["-t", "x"]);
  assert.deepEqual(parseFlags(["-", "-d"], specs).args, ["-"]);
});

test("pflag's error messages", () => {
  assert.throws(() => parseFlags(["--x"], specs), new FlagError("unknown flag: --x"));
  assert.throws(() => parseFlags(["-ix"], specs), new FlagError("unknown shorthand flag: 'x' in -ix"));
  assert.throws(() => parseFlags(["--name"], specs), new FlagError("flag needs an argument: --name"));
  assert.throws(() => parseFlags(["-m"], specs), new FlagError("flag needs an argument: 'm' in -m"));
  assert.throws(
    () => parseFlags(["-m", "abc"], specs),
    new FlagError(`invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'`),
  );
  assert.throws(
    () => parseFlags(["--cpus", "abc"], specs),
    new FlagError(`invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number`),
  );
  assert.throws(
    () => parseFlags(["--rm=maybe"], specs),
    new FlagError(
      `invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax`,
    ),
  );
});

test("Go integer syntax", () => {
  assert.equal(parseGoInt("10"), 10);
  assert.equal(parseGoInt("-1"), -1);
  assert.equal(parseGoInt("0x10"), 16);
  assert.equal(parseGoInt("1_000"), 1000);
  assert.throws(() => parseGoInt("x"), /strconv.ParseInt: parsing "x": invalid syntax/);
});
