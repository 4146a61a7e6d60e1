// Interpolation and .env parsing as the compose specification describes them.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose interpolation syntax is the subject here
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDotEnv } from "../../../src/compose/loader/dotenv.ts";
import {
  InterpolationError,
  interpolateString,
  interpolateTree,
} from "../../../src/compose/loader/interpolate.ts";

const env: Record<string, string> = { SET: "value", EMPTY: "", PORT: "8080" };
const lookup = (n: string) => env[n];

test("plain and braced variables", () => {
  assert.equal(interpolateString("$SET and ${SET}", lookup), "value and value");
  assert.equal(interpolateString("${PORT}:80", lookup), "8080:80");
  assert.equal(interpolateString("pre${SET}post", lookup), "prevaluepost");
});

test("defaults: :- replaces unset and empty, - only unset", () => {
  assert.equal(interpolateString("${UNSET:-d}", lookup), "d");
  assert.equal(interpolateString("${EMPTY:-d}", lookup), "d");
  assert.equal(interpolateString("${EMPTY-d}", lookup), "");
  assert.equal(interpolateString("${UNSET-d}", lookup), "d");
  assert.equal(interpolateString("${SET:-d}", lookup), "value");
});

test("alternatives: :+ when set and non-empty, + when set", () => {
  assert.equal(interpolateString("${SET:+alt}", lookup), "alt");
  assert.equal(interpolateString("${EMPTY:+alt}", lookup), "");
  assert.equal(interpolateString("${EMPTY+alt}", lookup), "alt");
  assert.equal(interpolateString("${UNSET+alt}", lookup), "");
});

test("required variables fail with the message given", () => {
  assert.throws(() => interpolateString("${UNSET:?must be set}", lookup), {
    message: "required variable UNSET is missing a value: must be set",
  });
  assert.throws(() => interpolateString("${EMPTY:?empty}", lookup), InterpolationError);
  assert.equal(interpolateString("${EMPTY?x}", lookup), "");
  assert.throws(() => interpolateString("${UNSET?gone}", lookup), {
    message: /UNSET is missing a value: gone/,
  });
});

test("$$ is a literal dollar and nested defaults expand", () => {
  assert.equal(interpolateString("$$SET costs $$5", lookup), "$SET costs $5");
  assert.equal(interpolateString("${UNSET:-${PORT}}", lookup), "8080");
  assert.equal(interpolateString("${UNSET:-${ALSO:-deep}}", lookup), "deep");
  assert.equal(interpolateString("a $ b", lookup), "a $ b");
});

test("unset variables without default warn once and become empty", () => {
  const missing: string[] = [];
  assert.equal(
    interpolateString("${NOPE}/$NOPE", lookup, (n) => missing.push(n)),
    "/",
  );
  assert.deepEqual(missing, ["NOPE", "NOPE"]);
});

test("malformed expressions are errors", () => {
  assert.throws(() => interpolateString("${", lookup), InterpolationError);
  assert.throws(() => interpolateString("${1BAD}", lookup), InterpolationError);
  assert.throws(() => interpolateTree({ services: { a: { image: "${" } } }, lookup), /services\.a\.image/);
});

test("interpolation applies to values, never to keys", () => {
  const out = interpolateTree({ "${SET}": ["${SET}", 3, true, null] }, lookup);
  assert.deepEqual(out, { "${SET}": ["value", 3, true, null] });
});

test(".env: quotes, export, comments, references", () => {
  const text = [
    "# comment",
    "A=plain # trailing comment",
    "export B='single $A # kept'",
    'C="double ${A}\\nnext"',
    "D=${A}-x",
    "E=",
    "F",
    "  G = spaced  ",
    "",
  ].join("\n");
  const parsed = parseDotEnv(text, (n) => (n === "F" ? "from-env" : undefined));
  assert.deepEqual(parsed, {
    A: "plain",
    B: "single $A # kept",
    C: "double plain\nnext",
    D: "plain-x",
    E: "",
    F: "from-env",
    G: "spaced",
  });
});

test(".env errors name the file and line", () => {
  assert.throws(() => parseDotEnv('A="open', undefined, "/p/.env"), /\/p\/\.env: line 1: unterminated/);
  assert.throws(() => parseDotEnv("OK=1\n-bad=2", undefined, "x.env"), /x\.env: line 2/);
});
