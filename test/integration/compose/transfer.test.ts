// compose pull / push: one transfer per service image with docker compose's progress lines; a
// failed transfer fails the command unless --ignore-pull-failures / --ignore-push-failures.
// The registry is 127.0.0.1:1 (nothing listens there), so every transfer fails at once and no
// traffic leaves the machine.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Daemon, startDaemon } from "../cli/harness.ts";
import { compose, projectDir } from "./helpers.ts";

const project = `
services:
  fetched:
    image: 127.0.0.1:1/wharf-test/fetched:1
  built:
    image: 127.0.0.1:1/wharf-test/built:1
    build: .
  local:
    image: busybox
    build: .
    pull_policy: build
`;

describe("compose pull and push", { skip: process.getuid?.() !== 0 ? "needs root" : false }, () => {
  let daemon: Daemon;
  let dir: string;

  before(async () => {
    daemon = await startDaemon();
    dir = projectDir({ "compose.yaml": project, Dockerfile: "FROM busybox\n" }, "xfer");
  });

  after(async () => {
    await daemon?.stop();
    if (dir) rmSync(dirname(dir), { recursive: true, force: true });
  });

  test("pull: each pullable image, Error on failure, exit 1 unless failures are ignored", async () => {
    const r = await compose(daemon.host, dir, ["pull", "fetched"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^ Image 127\.0\.0\.1:1\/wharf-test\/fetched:1 {2}Pulling\n/);
    assert.match(r.stderr, / Image 127\.0\.0\.1:1\/wharf-test\/fetched:1 {2}Error\n/);

    const ignored = await compose(daemon.host, dir, ["pull", "--ignore-pull-failures"]);
    assert.equal(ignored.code, 0, ignored.stderr);
    // pull_policy: build is never pulled; the others are tried in turn.
    assert.doesNotMatch(ignored.stderr, /busybox/);
    assert.match(ignored.stderr, /fetched:1 {2}Error\n/);
    assert.match(ignored.stderr, /built:1 {2}Error\n/);

    const buildable = await compose(daemon.host, dir, [
      "pull",
      "--ignore-buildable",
      "--ignore-pull-failures",
    ]);
    assert.equal(buildable.code, 0, buildable.stderr);
    assert.doesNotMatch(buildable.stderr, /built:1/);
  });

  test("push: only images the project builds; exit 1 unless failures are ignored", async () => {
    const r = await compose(daemon.host, dir, ["push", "built"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^ Image 127\.0\.0\.1:1\/wharf-test\/built:1 {2}Pushing\n/);
    assert.doesNotMatch(r.stderr, /Pushed/);

    const ignored = await compose(daemon.host, dir, ["push", "--ignore-push-failures"]);
    assert.equal(ignored.code, 0, ignored.stderr);
    assert.doesNotMatch(ignored.stderr, /fetched/, "an image that is not built is not pushed");
    assert.match(ignored.stderr, /built:1 {2}Pushing\n/);
  });

  test("an unknown service is named", async () => {
    const r = await compose(daemon.host, dir, ["pull", "nope"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no such service: nope/);
  });
});
