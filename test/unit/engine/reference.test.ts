import assert from "node:assert/strict";
import { test } from "node:test";
import {
  familiarName,
  familiarTag,
  missingImageName,
  parseReference,
  tagKey,
} from "../../../src/engine/images/reference.ts";

test("familiar names expand to docker.io/library with :latest", () => {
  assert.deepEqual(parseReference("busybox"), {
    domain: "docker.io",
    path: "library/busybox",
    tag: "latest",
    digest: undefined,
  });
  assert.equal(tagKey(parseReference("busybox")), "docker.io/library/busybox:latest");
  assert.equal(familiarTag("docker.io/library/busybox:latest"), "busybox:latest");
  assert.equal(familiarName(parseReference("foo/bar:1")), "foo/bar");
});

test("registries with ports and localhost are domains", () => {
  const r = parseReference("127.0.0.1:5000/myapp:1");
  assert.equal(r.domain, "127.0.0.1:5000");
  assert.equal(r.path, "myapp");
  assert.equal(r.tag, "1");
  assert.equal(parseReference("localhost/x").domain, "localhost");
  assert.equal(familiarTag(tagKey(r)), "127.0.0.1:5000/myapp:1");
});

test("digests and invalid references", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  const r = parseReference(`busybox@${digest}`);
  assert.equal(r.digest, digest);
  assert.equal(r.tag, undefined);
  // Docker's own text (distribution/reference), from the parser the CLI and client share.
  assert.throws(() => parseReference("Busybox"), {
    message: "invalid reference format: repository name (library/Busybox) must be lowercase",
  });
  assert.throws(() => parseReference("a:b:c"), /invalid reference format/);
  assert.throws(() => parseReference("busybox@sha256:zz"), /invalid reference format/);
  assert.throws(() => parseReference(""), /invalid reference format/);
});

test("missingImageName: Docker's name for an image it cannot find", () => {
  assert.equal(missingImageName("nonexist"), "nonexist:latest");
  assert.equal(missingImageName("docker.io/library/nonexist"), "nonexist:latest");
  assert.equal(missingImageName("localhost:5000/a/b"), "localhost:5000/a/b:latest");
  assert.equal(missingImageName("abcdef123456"), "abcdef123456:latest");
  const digest = `sha256:${"a".repeat(64)}`;
  assert.equal(missingImageName(`nonexist@${digest}`), `nonexist@${digest}`);
  assert.equal(missingImageName("Not A Reference"), "Not A Reference");
});
