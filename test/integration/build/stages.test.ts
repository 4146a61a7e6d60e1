// Multi-stage builds against a real wharfd: independent stages run at the same time, --target
// builds only what the target needs, and a failing stage stops the others cleanly.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { TestApi } from "../../helpers/api.ts";
import { postBuild } from "../../helpers/build.ts";
import { isRoot, leaks, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

async function build(api: TestApi, dockerfile: string, query = "") {
  const r = await postBuild(api, { Dockerfile: dockerfile }, query);
  assert.equal(r.status, 200, r.message ?? "");
  return r;
}

/** The step numbers in the order the stream printed them. */
function stepOrder(output: string): number[] {
  return [...output.matchAll(/^Step (\d+)\/\d+ : /gm)].map((m) => Number(m[1]));
}

/**
 * A RUN that leaves `mine` in the shared cache mount, then waits (at most ~60 s) for `theirs`:
 * two such RUNs in two stages both finish only if the stages run at the same time.
 */
function rendezvous(cacheId: string, mine: string, theirs: string): string {
  return (
    `RUN --mount=type=cache,id=${cacheId},target=/meet ` +
    `touch /meet/${mine} && i=0 && while [ ! -f /meet/${theirs} ]; do ` +
    `i=$((i+1)); [ $i -gt 600 ] && echo "no ${theirs}" && exit 1; usleep 100000; done && echo ${mine} > /${mine}`
  );
}

describe("multi-stage scheduling", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  test("independent stages run concurrently; the stream keeps each stage's steps together, in order", async () => {
    const id = `meet-${randomBytes(6).toString("hex")}`;
    const dockerfile = [
      "FROM busybox AS left",
      rendezvous(id, "left", "right"),
      "FROM busybox AS right",
      rendezvous(id, "right", "left"),
      "FROM busybox",
      "COPY --from=left /left /out/left",
      "COPY --from=right /right /out/right",
      'CMD ["cat", "/out/left", "/out/right"]',
    ].join("\n");
    const r = await build(d.api, dockerfile, "t=stages:both");
    assert.ok(r.last?.aux || r.lines.some((l) => l.aux), r.output);
    assert.deepEqual(stepOrder(r.output), [1, 2, 3, 4, 5, 6, 7, 8]);
    // Each RUN's container line sits right after its own step header.
    assert.match(r.output, /Step 2\/8 : RUN[^\n]*\n ---> Running in \w+\n/);
    assert.match(r.output, /Step 4\/8 : RUN[^\n]*\n ---> Running in \w+\n/);
    assert.match(r.output, /Successfully tagged stages:both/);
  });

  test("--target builds only the stages the target uses", async () => {
    const dockerfile = [
      "FROM busybox AS base",
      "RUN echo base > /base",
      "FROM busybox AS unused",
      "RUN echo this stage must not run && exit 9",
      "FROM busybox AS wanted",
      "COPY --from=base /base /base",
      "FROM busybox AS after",
      "RUN exit 8",
    ].join("\n");
    const r = await build(d.api, dockerfile, "t=stages:target&target=wanted");
    assert.equal(r.last?.error, undefined, r.output);
    assert.doesNotMatch(r.output, /must not run|exit 8/);
    assert.deepEqual(stepOrder(r.output), [1, 2, 3, 4]);
    assert.match(r.output, /Step 4\/4 : COPY --from=base/);
  });

  test("a failing stage stops the concurrent one: its error and exit code, nothing left behind", async () => {
    const dockerfile = [
      "FROM busybox AS slow",
      "RUN echo slow started && sleep 120",
      "FROM busybox AS broken",
      "RUN usleep 500000 && exit 7",
      "FROM busybox",
      "COPY --from=slow /etc/hostname /a",
      "COPY --from=broken /etc/hostname /b",
    ].join("\n");
    const r = await build(d.api, dockerfile, "t=stages:fail");
    assert.equal(
      r.last?.error,
      "The command '/bin/sh -c usleep 500000 && exit 7' returned a non-zero code: 7",
    );
    assert.equal(r.last?.errorDetail?.code, 7);
    // Held-back lines of the failed stage are printed before the error.
    assert.match(r.output, /Step 4\/7 : RUN usleep/);
    assert.equal((await d.api.call("GET", "/images/stages:fail/json")).status, 404);
    assert.equal((await d.api.ok<unknown[]>("GET", "/containers/json?all=1")).length, 0);
    if (d.owned) assert.deepEqual(leaks(d.dataRoot).mounts, []);
  });
});
