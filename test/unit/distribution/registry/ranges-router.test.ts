import assert from "node:assert/strict";
import { test } from "node:test";
import { RegistryError } from "../../../../src/distribution/registry/errors.ts";
import { paginate } from "../../../../src/distribution/registry/http/listings.ts";
import {
  parseContentRange,
  parseRangeHeader,
  uploadRangeHeader,
} from "../../../../src/distribution/registry/http/ranges.ts";
import { matchRoute, splitUrl } from "../../../../src/distribution/registry/http/router.ts";

test("Range header of blob downloads", () => {
  assert.deepEqual(parseRangeHeader(undefined, 10), { kind: "full" });
  assert.deepEqual(parseRangeHeader("bytes=0-4", 10), { kind: "partial", start: 0, end: 4 });
  assert.deepEqual(parseRangeHeader("bytes=5-", 10), { kind: "partial", start: 5, end: 9 });
  assert.deepEqual(parseRangeHeader("bytes=5-100", 10), { kind: "partial", start: 5, end: 9 });
  assert.deepEqual(parseRangeHeader("bytes=-3", 10), { kind: "partial", start: 7, end: 9 });
  assert.deepEqual(parseRangeHeader("bytes=-30", 10), { kind: "partial", start: 0, end: 9 });
  assert.deepEqual(parseRangeHeader("bytes=10-", 10), { kind: "unsatisfiable" });
  assert.deepEqual(parseRangeHeader("bytes=4-2", 10), { kind: "unsatisfiable" });
  assert.deepEqual(parseRangeHeader("bytes=0-1,3-4", 10), { kind: "full" });
  assert.deepEqual(parseRangeHeader("items=0-1", 10), { kind: "full" });
});

test("Content-Range of upload chunks", () => {
  assert.equal(parseContentRange(undefined), undefined);
  assert.deepEqual(parseContentRange("0-99"), { start: 0, end: 99 });
  assert.deepEqual(parseContentRange("bytes 100-199/*"), { start: 100, end: 199 });
  assert.deepEqual(parseContentRange("bytes=100-199"), { start: 100, end: 199 });
  assert.throws(() => parseContentRange("9-1"), SyntaxError);
  assert.throws(() => parseContentRange("abc"), SyntaxError);
  assert.equal(uploadRangeHeader(0), "0-0");
  assert.equal(uploadRangeHeader(10), "0-9");
});

test("routes, including nested names and names that contain endpoint words", () => {
  assert.deepEqual(matchRoute("/v2/"), { kind: "base" });
  assert.deepEqual(matchRoute("/v2"), { kind: "base" });
  assert.deepEqual(matchRoute("/v2/_catalog"), { kind: "catalog" });
  assert.deepEqual(matchRoute("/v2/a/b/tags/list"), { kind: "tags", name: "a/b" });
  assert.deepEqual(matchRoute("/v2/a/manifests/latest"), {
    kind: "manifest",
    name: "a",
    reference: "latest",
  });
  assert.deepEqual(matchRoute("/v2/a/manifests/sha256%3Aab"), {
    kind: "manifest",
    name: "a",
    reference: "sha256:ab",
  });
  assert.deepEqual(matchRoute("/v2/x/blobs/y/blobs/sha256:1"), {
    kind: "blob",
    name: "x/blobs/y",
    digest: "sha256:1",
  });
  assert.deepEqual(matchRoute("/v2/a/blobs/uploads/"), { kind: "uploads", name: "a" });
  assert.deepEqual(matchRoute("/v2/a/blobs/uploads"), { kind: "uploads", name: "a" });
  assert.deepEqual(matchRoute("/v2/a/blobs/uploads/123"), { kind: "upload", name: "a", id: "123" });
  assert.deepEqual(matchRoute("/v2/a/referrers/sha256:1"), {
    kind: "referrers",
    name: "a",
    digest: "sha256:1",
  });
  assert.equal(matchRoute("/v1/a/tags/list"), undefined);
  assert.equal(matchRoute("/v2/a"), undefined);
  for (const path of [
    "/v2/../x/tags/list",
    "/v2/A/tags/list",
    "/v2/a/%2e%2e/tags/list",
    "/v2/a/%zz/tags/list",
  ]) {
    assert.throws(
      () => matchRoute(path),
      (err: unknown) => err instanceof RegistryError && err.code === "NAME_INVALID",
      path,
    );
  }
  const { path, query } = splitUrl("/v2/a/../b/tags/list?n=1&last=x");
  assert.equal(path, "/v2/a/../b/tags/list");
  assert.equal(query.get("n"), "1");
});

test("n/last pagination", () => {
  const all = ["a", "b", "c", "d"];
  const q = (s: string) => new URLSearchParams(s);
  assert.deepEqual(paginate(all, q(""), "/p"), { items: all });
  assert.deepEqual(paginate(all, q("n=2"), "/p"), { items: ["a", "b"], link: '</p?n=2&last=b>; rel="next"' });
  assert.deepEqual(paginate(all, q("n=2&last=b"), "/p"), { items: ["c", "d"] });
  assert.deepEqual(paginate(all, q("last=a"), "/p"), { items: ["b", "c", "d"] });
  assert.deepEqual(paginate(all, q("n=0"), "/p"), { items: [] });
  assert.deepEqual(paginate(all, q(""), "/p", 3), {
    items: ["a", "b", "c"],
    link: '</p?n=3&last=c>; rel="next"',
  });
  for (const bad of ["n=-1", "n=abc", "n=1.5"]) {
    assert.throws(
      () => paginate(all, q(bad), "/p"),
      (err: unknown) => err instanceof RegistryError && err.code === "PAGINATION_NUMBER_INVALID",
    );
  }
});
