import assert from "node:assert/strict";
import { test } from "node:test";
import {
  digestOf,
  looksLikeDigest,
  parseDigest,
  tryParseDigest,
} from "../../../../src/distribution/registry/digest.ts";
import { RegistryError } from "../../../../src/distribution/registry/errors.ts";
import { isValidRepositoryName, isValidTag } from "../../../../src/distribution/registry/names.ts";

const HEX64 = "a".repeat(64);

test("digests: sha256 and sha512 with exact lowercase hex", () => {
  assert.deepEqual(tryParseDigest(`sha256:${HEX64}`), {
    algorithm: "sha256",
    hex: HEX64,
    value: `sha256:${HEX64}`,
  });
  assert.equal(tryParseDigest(`sha512:${"b".repeat(128)}`)?.algorithm, "sha512");
  for (const bad of [
    `sha256:${"a".repeat(63)}`,
    `sha256:${"A".repeat(64)}`,
    `sha512:${HEX64}`,
    `md5:${"a".repeat(32)}`,
    `sha256:../${HEX64}`,
    "sha256",
    ":abc",
    "",
  ]) {
    assert.equal(tryParseDigest(bad), undefined, bad);
  }
  assert.throws(
    () => parseDigest("sha256:nope"),
    (err: unknown) => err instanceof RegistryError && err.code === "DIGEST_INVALID" && err.status === 400,
  );
  assert.equal(
    digestOf(Buffer.from("")).value,
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(looksLikeDigest("sha256:x"), true);
  assert.equal(looksLikeDigest("latest"), false);
});

test("repository names follow the spec's grammar", () => {
  for (const ok of [
    "a",
    "library/ubuntu",
    "a/b/c",
    "my-app",
    "my--app",
    "my_app",
    "my__app",
    "app.v2",
    "0/1",
  ]) {
    assert.ok(isValidRepositoryName(ok), ok);
  }
  for (const bad of [
    "",
    "A",
    "a/",
    "/a",
    "a//b",
    "a/../b",
    "..",
    ".a",
    "a.",
    "a___b",
    "a_-b",
    "_a",
    "a b",
    "a:b",
  ]) {
    assert.ok(!isValidRepositoryName(bad), bad);
  }
  assert.ok(isValidRepositoryName("a".repeat(255)));
  assert.ok(!isValidRepositoryName("a".repeat(256)));
});

test("tags: up to 128 characters, not starting with . or -", () => {
  for (const ok of ["latest", "v1.0", "_x", "A-b_c.d", "1".repeat(128)]) assert.ok(isValidTag(ok), ok);
  for (const bad of ["", ".hidden", "-x", "..", "a/b", "a:b", "1".repeat(129)])
    assert.ok(!isValidTag(bad), bad);
});
