// Container list/prune filters as moby reads them (engine/containers/filters.ts), without a daemon.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ancestorImageIds,
  checkListFilters,
  nameMatches,
  pruneFilter,
  regexpMatch,
} from "../../../src/engine/containers/filters.ts";
import type { ImageRecord } from "../../../src/engine/images/service.ts";
import { FilterError, parseFilters } from "../../../src/util/filters.ts";

const f = (json: unknown) => parseFilters(JSON.stringify(json));

test("list: unknown keys, states, health values and exit codes are refused", () => {
  const refused = (json: unknown, message: string) =>
    assert.throws(
      () => checkListFilters(f(json)),
      (err: unknown) => err instanceof FilterError && err.message === message,
    );
  refused({ bogus: ["1"] }, "invalid filter 'bogus'");
  refused({ status: ["up"] }, "invalid filter 'status=up'");
  refused({ health: ["sick"] }, "invalid filter 'health=sick'");
  refused({ "is-task": ["maybe"] }, "invalid filter 'is-task=maybe'");
  refused({ exited: ["x"] }, 'strconv.Atoi: parsing "x": invalid syntax');
  for (const ok of [
    { status: ["created", "exited", "dead"] },
    { exited: ["0", "137"] },
    { publish: ["80"], expose: ["80/tcp"], isolation: ["default"], network: ["n"], volume: ["v"] },
  ]) {
    assert.doesNotThrow(() => checkListFilters(f(ok)));
  }
});

test("name and id: exact, or a Go regexp found anywhere; a bad expression matches nothing", () => {
  assert.ok(nameMatches(["^/web$"], "web"));
  assert.ok(nameMatches(["^web$"], "web"));
  assert.ok(nameMatches(["eb"], "web"));
  assert.ok(!nameMatches(["^/webx$"], "web"));
  assert.ok(!nameMatches(["["], "web"));
  assert.ok(regexpMatch(["[x"], "[x"), "an exact value needs no valid expression");
  assert.ok(regexpMatch(["0f3"], "aa0f3bb"));
});

test("ancestor: the named image and every image built on it", () => {
  const img = (id: string, parent?: string) => ({ id, parent }) as ImageRecord;
  const all = [img("base"), img("child", "base"), img("grandchild", "child"), img("other")];
  const find = (ref: string) => all.find((i) => i.id === ref);
  assert.deepEqual([...ancestorImageIds(["base"], find, all)].sort(), ["base", "child", "grandchild"]);
  assert.deepEqual([...ancestorImageIds(["child"], find, all)].sort(), ["child", "grandchild"]);
  assert.deepEqual([...ancestorImageIds(["missing"], find, all)], []);
});

test("prune: label, label! (excluded when every value matches) and until", () => {
  const created = new Date(Date.now() - 2 * 3600_000).toISOString();
  const p = pruneFilter(f({ label: ["app"], "label!": ["keep=1"] }));
  assert.ok(p.matches({ app: "x" }, created));
  assert.ok(!p.matches({ app: "x", keep: "1" }, created));
  assert.ok(!p.matches({ other: "x" }, created));
  assert.ok(pruneFilter(f({ until: ["1h"] })).matches({}, created));
  assert.ok(!pruneFilter(f({ until: ["3h"] })).matches({}, created));
  assert.throws(() => pruneFilter(f({ status: ["exited"] })), /invalid filter 'status'/);
  assert.throws(() => pruneFilter(f({ until: ["soon"] })), /failed to parse value as time or duration/);
});
