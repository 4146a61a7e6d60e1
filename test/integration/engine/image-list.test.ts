// GET /images/json wire details: untagged images named "<none>:<none>" only before API 1.43,
// intermediate (parent) images hidden without all=1, and Docker's dangling filter value rules
// for the list and for prune.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TestApi } from "../../helpers/api.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

interface Summary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
}

describe("image list", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  let mid: string;
  let top: string;
  const q = (filters: Record<string, string[]>) => encodeURIComponent(JSON.stringify(filters));

  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api, "bb:latest");
    // bb -> mid (untagged commit) -> top (tagged commit): mid is what a build step leaves.
    const commit = async (image: string, query: string) => {
      const c = await d.api.run({ Image: image, Cmd: ["sh", "-c", `echo ${query} > /f`] });
      await d.api.waitExit(c);
      const res = await d.api.call("POST", `/commit?container=${c}${query}`);
      assert.equal(res.status, 201, res.text());
      await d.api.ok("DELETE", `/containers/${c}`);
      return res.json<{ Id: string }>().Id;
    };
    mid = await commit("bb", "");
    top = await commit(mid, "&repo=top&tag=v1");
  });
  after(async () => {
    await d?.stop();
  });

  test("a parent image is hidden unless all=1, named <none>:<none> before API 1.43", async () => {
    const list = await d.api.ok<Summary[]>("GET", "/images/json");
    assert.deepEqual(
      list.map((i) => i.Id).sort(),
      [top, list.find((i) => i.RepoTags.includes("bb:latest"))?.Id].sort(),
    );
    const all = await d.api.ok<Summary[]>("GET", "/images/json?all=1");
    const old = all.find((i) => i.Id === mid);
    assert.deepEqual(old?.RepoTags, ["<none>:<none>"]);
    assert.deepEqual(old?.RepoDigests, ["<none>@<none>"]);
    assert.equal(all.find((i) => i.Id === top)?.ParentId, mid);

    const current = await new TestApi(d.socket, "1.50").ok<Summary[]>("GET", "/images/json?all=1");
    const now = current.find((i) => i.Id === mid);
    assert.deepEqual(now?.RepoTags, []);
    assert.deepEqual(now?.RepoDigests, []);
  });

  test("Labels: null for an image without any, as Docker answers; the map otherwise", async () => {
    const c = await d.api.run({ Image: "bb", Cmd: ["true"] });
    await d.api.waitExit(c);
    const res = await d.api.call("POST", `/commit?container=${c}&repo=labelled&tag=v1`, {
      Labels: { a: "1" },
    });
    assert.equal(res.status, 201, res.text());
    await d.api.ok("DELETE", `/containers/${c}`);
    const list = await d.api.ok<Array<Summary & { Labels: Record<string, string> | null }>>(
      "GET",
      "/images/json",
    );
    assert.equal(list.find((i) => i.RepoTags.includes("bb:latest"))?.Labels, null);
    assert.deepEqual(list.find((i) => i.RepoTags.includes("labelled:v1"))?.Labels, { a: "1" });
    await d.api.ok("DELETE", "/images/labelled:v1");
  });

  test("dangling: an untagged image with a child is not dangling; values checked as Docker", async () => {
    const dangling = await d.api.ok<Summary[]>(
      "GET",
      `/images/json?all=1&filters=${q({ dangling: ["true"] })}`,
    );
    assert.deepEqual(dangling, []);
    const both = await d.api.ok<Summary[]>(
      "GET",
      `/images/json?filters=${q({ dangling: ["true", "false"] })}`,
    );
    assert.deepEqual(both, []);
    for (const value of ["1", "yes"]) {
      const res = await d.api.call("GET", `/images/json?filters=${q({ dangling: [value] })}`);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json(), { message: `Invalid filter 'dangling=[${value}]'` });
    }
    const prune = await d.api.call("POST", `/images/prune?filters=${q({ dangling: ["yes"] })}`);
    assert.equal(prune.status, 400);
    assert.deepEqual(prune.json(), { message: "Invalid filter 'dangling=[yes]'" });
    // Prune of dangling images keeps the intermediate image: it has a child.
    const pruned = await d.api.ok<{ ImagesDeleted: unknown }>("POST", "/images/prune");
    assert.equal(pruned.ImagesDeleted, null);
    assert.ok((await d.api.ok<Summary[]>("GET", "/images/json?all=1")).some((i) => i.Id === mid));
  });
});
