// COPY --link (a layer made apart from the parent and reused when only the parent changed) and
// RUN --mount=type=cache,from=… (a new cache seeded from a stage), against a real wharfd.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { TestApi } from "../../helpers/api.ts";
import { postBuild, runOutput } from "../../helpers/build.ts";
import { isRoot, leaks, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import type { TarEntry } from "../../helpers/tars.ts";

async function build(api: TestApi, entries: TarEntry[], query = "") {
  const r = await postBuild(api, entries, query);
  assert.equal(r.status, 200, r.message ?? "");
  return r;
}

describe("COPY --link and cache mounts from a stage", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  test("COPY --link: the layer is laid on the parent, and reused as is when only the parent changed", async () => {
    const files: TarEntry[] = [
      {
        name: "Dockerfile",
        body: [
          "FROM busybox",
          "ARG V",
          // The second build's parent differs; a pause makes any fresh copy's times differ too.
          "RUN mkdir /data && echo keep > /data/keep && echo $V > /v && usleep 1100000",
          "COPY --link data /data",
          "RUN cat /data/a.txt /data/keep /v > /out",
        ].join("\n"),
      },
      { name: "data/", type: "directory" },
      { name: "data/a.txt", body: "a\n" },
    ];
    const one = await build(d.api, files, "t=link:one&buildargs=%7B%22V%22%3A%221%22%7D");
    const two = await build(d.api, files, "t=link:two&buildargs=%7B%22V%22%3A%222%22%7D");
    assert.equal(one.error, undefined, one.output);
    assert.equal(two.error, undefined, two.output);
    assert.equal(await runOutput(d.api, "link:one", ["cat", "/out"]), "a\nkeep\n1\n");
    assert.equal(await runOutput(d.api, "link:two", ["cat", "/out"]), "a\nkeep\n2\n");
    const diffIds = async (ref: string) =>
      (await d.api.ok<{ RootFS: { Layers: string[] } }>("GET", `/images/${ref}/json`)).RootFS.Layers;
    const [a, b] = [await diffIds("link:one"), await diffIds("link:two")];
    // busybox, RUN, COPY --link, RUN: the RUN layers differ, the COPY layer is the same bytes.
    assert.equal(a.length, 4);
    assert.notEqual(a[1], b[1]);
    assert.equal(a[2], b[2]);
    // A rebuild with nothing changed is all cache hits.
    const again = await build(d.api, files, "t=link:two&buildargs=%7B%22V%22%3A%222%22%7D");
    assert.equal(again.id, two.id);
    assert.equal((again.output.match(/Using cache/g) ?? []).length, 4);
  });

  test("a COPY layer taken over by the layer store: its size and content as an unpacked one's", async () => {
    const files: TarEntry[] = [
      {
        name: "Dockerfile",
        body: "FROM busybox\nCOPY data /data\nRUN cat /data/a.txt /data/sub/b.txt > /both",
      },
      { name: "data/a.txt", body: "12345" },
      { name: "data/sub/b.txt", body: "678" },
    ];
    const r = await build(d.api, files, "t=adopt:test");
    assert.equal(r.error, undefined, r.output);
    const size = async (ref: string) => (await d.api.ok<{ Size: number }>("GET", `/images/${ref}/json`)).Size;
    // busybox + 8 bytes of COPY + 8 bytes written by the RUN.
    assert.equal(await size("adopt:test"), (await size("busybox")) + 8 + 8);
    assert.equal(await runOutput(d.api, "adopt:test", ["cat", "/both"]), "12345678");
  });

  test("RUN --mount=type=cache,from=stage,source=…: a new cache starts as that directory, then persists", async () => {
    const id = `seeded-${randomBytes(6).toString("hex")}`;
    const dockerfile = [
      "FROM busybox AS seed",
      "RUN mkdir -p /seed && echo seeded > /seed/s.txt",
      "FROM busybox",
      `RUN --mount=type=cache,id=${id},target=/c,from=seed,source=/seed cat /c/s.txt > /got && echo more > /c/added`,
      `RUN --mount=type=cache,id=${id},target=/c ls /c > /listed`,
    ].join("\n");
    const r = await build(d.api, [{ name: "Dockerfile", body: dockerfile }], "t=cache:seeded");
    assert.equal(r.error, undefined, r.output);
    assert.equal(
      await runOutput(d.api, "cache:seeded", ["cat", "/got", "/listed"]),
      "seeded\nadded\ns.txt\n",
    );
    const bad = await build(d.api, [
      {
        name: "Dockerfile",
        body: `FROM busybox AS seed\nFROM busybox\nRUN --mount=type=cache,id=${id}-bad,target=/c,from=seed,source=/nope true\n`,
      },
    ]);
    assert.match(bad.error ?? "", /from=seed: \/nope is not a directory/);
    if (d.owned) assert.deepEqual(leaks(d.dataRoot).mounts, []);
  });
});
