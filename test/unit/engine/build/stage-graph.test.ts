import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDockerfile } from "../../../../src/engine/build/dockerfile.ts";
import { neededStages, OrderedOutput, stageDependencies } from "../../../../src/engine/build/stage-graph.ts";

describe("stage graph", () => {
  const parsed = parseDockerfile(
    [
      "FROM busybox AS a",
      "FROM busybox AS b",
      "RUN --mount=type=bind,from=a,target=/a true",
      "FROM a AS c",
      "FROM busybox AS d",
      "COPY --from=1 /x /x",
      "FROM busybox AS e",
      "COPY --from=$SRC /x /x",
      "FROM busybox AS f",
      "COPY --from=later /x /x",
      "FROM busybox AS later",
    ].join("\n"),
  );
  const deps = new Map(parsed.stages.map((s) => [s.index, stageDependencies(parsed.stages, s, s.base)]));

  it("finds FROM, COPY --from (name or index), RUN --mount from; variables mean every earlier stage", () => {
    assert.deepEqual([...(deps.get(0) ?? [])], []);
    assert.deepEqual([...(deps.get(1) ?? [])], [0]);
    assert.deepEqual([...(deps.get(2) ?? [])], [0]);
    assert.deepEqual([...(deps.get(3) ?? [])], [1]);
    assert.deepEqual([...(deps.get(4) ?? [])].sort(), [0, 1, 2, 3]);
    // A later stage's name is an image reference, as in Docker's classic builder.
    assert.deepEqual([...(deps.get(5) ?? [])], []);
  });

  it("--target keeps only what the target needs; no target keeps every stage", () => {
    assert.deepEqual(
      neededStages(parsed.stages, deps, 3).map((s) => s.name),
      ["a", "b", "d"],
    );
    assert.equal(neededStages(parsed.stages, deps, undefined).length, parsed.stages.length);
  });

  it("prints a later stage's lines only once the earlier ones are done, each stage in one piece", () => {
    const out: string[] = [];
    const o = new OrderedOutput(3, (t) => out.push(t));
    o.say(1, "b1 ");
    o.say(0, "a1 ");
    o.say(2, "c1 ");
    o.say(1, "b2 ");
    o.finish(1);
    assert.equal(out.join(""), "a1 ");
    o.say(0, "a2 ");
    o.finish(0);
    assert.equal(out.join(""), "a1 a2 b1 b2 c1 ");
    o.say(2, "c2 ");
    assert.equal(out.join(""), "a1 a2 b1 b2 c1 c2 ");
    const failed: string[] = [];
    const f = new OrderedOutput(2, (t) => failed.push(t));
    f.say(1, "held ");
    f.say(0, "live ");
    f.flushAll();
    assert.equal(failed.join(""), "live held ");
  });
});
