// The OCI Distribution Spec v1.1 against an in-process registry: pull, push, content
// discovery and content management, with the spec's status codes and error codes.
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  errorCodes,
  pushBlob,
  pushImage,
  rawRequest,
  sha256,
  sha512,
  snapshot,
  startTestRegistry,
  type TestRegistry,
} from "./helpers.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

let reg: TestRegistry;
let url: string;

before(async () => {
  reg = await startTestRegistry();
  url = reg.url;
});
after(async () => {
  await reg?.close();
});

describe("base", () => {
  test("GET /v2/ answers 200 with the API version header", async () => {
    const res = await fetch(`${url}/v2/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("docker-distribution-api-version"), "registry/2.0");
  });

  test("unknown endpoints are 404 and wrong methods 405", async () => {
    assert.equal((await fetch(`${url}/v3/`)).status, 404);
    const res = await fetch(`${url}/v2/app/tags/list`, { method: "DELETE" });
    assert.equal(res.status, 405);
    assert.deepEqual(await errorCodes(res), ["UNSUPPORTED"]);
  });
});

describe("pull", () => {
  let image: Awaited<ReturnType<typeof pushImage>>;
  before(async () => {
    image = await pushImage(url, "pull/app", "v1", { layers: ["0123456789abcdef"] });
  });

  test("manifest by tag and by digest, GET and HEAD", async () => {
    for (const ref of ["v1", image.digest]) {
      const res = await fetch(`${url}/v2/pull/app/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), OCI_MANIFEST);
      assert.equal(res.headers.get("docker-content-digest"), image.digest);
      assert.equal(await res.text(), image.manifest);
      const head = await fetch(`${url}/v2/pull/app/manifests/${ref}`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), String(Buffer.byteLength(image.manifest)));
      assert.equal(head.headers.get("docker-content-digest"), image.digest);
      assert.equal(await head.text(), "");
    }
  });

  test("blob GET and HEAD with digest header", async () => {
    const layer = image.layers[0]!;
    const res = await fetch(`${url}/v2/pull/app/blobs/${layer}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("docker-content-digest"), layer);
    assert.equal(await res.text(), "0123456789abcdef");
    const head = await fetch(`${url}/v2/pull/app/blobs/${layer}`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "16");
    assert.equal(head.headers.get("accept-ranges"), "bytes");
  });

  test("blob Range requests", async () => {
    const blob = `${url}/v2/pull/app/blobs/${image.layers[0]}`;
    const part = await fetch(blob, { headers: { Range: "bytes=2-5" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), "bytes 2-5/16");
    assert.equal(await part.text(), "2345");
    const open = await fetch(blob, { headers: { Range: "bytes=10-" } });
    assert.equal(await open.text(), "abcdef");
    const suffix = await fetch(blob, { headers: { Range: "bytes=-3" } });
    assert.equal(await suffix.text(), "def");
    const bad = await fetch(blob, { headers: { Range: "bytes=100-200" } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get("content-range"), "bytes */16");
    await bad.text();
  });

  test("unknown content is 404 with the spec's codes", async () => {
    const missing = sha256("nope");
    let res = await fetch(`${url}/v2/pull/app/blobs/${missing}`);
    assert.equal(res.status, 404);
    assert.deepEqual(await errorCodes(res), ["BLOB_UNKNOWN"]);
    res = await fetch(`${url}/v2/pull/app/manifests/nope`);
    assert.equal(res.status, 404);
    assert.deepEqual(await errorCodes(res), ["MANIFEST_UNKNOWN"]);
    res = await fetch(`${url}/v2/pull/app/manifests/${missing}`);
    assert.deepEqual(await errorCodes(res), ["MANIFEST_UNKNOWN"]);
    res = await fetch(`${url}/v2/pull/nothing-here/manifests/latest`);
    assert.equal(res.status, 404);
    assert.deepEqual(await errorCodes(res), ["NAME_UNKNOWN"]);
  });

  test("a blob is only visible in repositories that hold it", async () => {
    await pushBlob(url, "pull/other", "other");
    const res = await fetch(`${url}/v2/pull/other/blobs/${image.layers[0]}`);
    assert.equal(res.status, 404);
    assert.deepEqual(await errorCodes(res), ["BLOB_UNKNOWN"]);
  });
});

describe("push: blobs", () => {
  test("monolithic single POST", async () => {
    const data = "single post";
    const res = await fetch(`${url}/v2/push/a/blobs/uploads/?digest=${sha256(data)}`, {
      method: "POST",
      body: data,
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), `/v2/push/a/blobs/${sha256(data)}`);
    assert.equal(res.headers.get("docker-content-digest"), sha256(data));
    assert.equal(await (await fetch(`${url}${res.headers.get("location")}`)).text(), data);
  });

  test("POST then PUT", async () => {
    const data = "post then put";
    const post = await fetch(`${url}/v2/push/a/blobs/uploads/`, { method: "POST" });
    assert.equal(post.status, 202);
    const location = post.headers.get("location")!;
    assert.match(location, /^\/v2\/push\/a\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.ok(post.headers.get("docker-upload-uuid"));
    const put = await fetch(`${url}${location}?digest=${sha256(data)}`, { method: "PUT", body: data });
    assert.equal(put.status, 201);
    assert.equal(await (await fetch(`${url}/v2/push/a/blobs/${sha256(data)}`)).text(), data);
  });

  test("chunked PATCH with Content-Range, status GET, 416 on out-of-order chunks", async () => {
    const data = "chunk-one|chunk-two|chunk-three";
    const post = await fetch(`${url}/v2/push/a/blobs/uploads/`, {
      method: "POST",
      headers: { "Content-Length": "0" },
    });
    let location = post.headers.get("location")!;
    const first = data.slice(0, 10);
    let res = await fetch(`${url}${location}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/octet-stream", "Content-Range": `0-${first.length - 1}` },
      body: first,
    });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get("range"), "0-9");
    location = res.headers.get("location")!;
    // Out of order: skips bytes 10..14.
    res = await fetch(`${url}${location}`, {
      method: "PATCH",
      headers: { "Content-Range": "15-19" },
      body: data.slice(15, 20),
    });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get("range"), "0-9");
    assert.deepEqual(await errorCodes(res), ["BLOB_UPLOAD_INVALID"]);
    res = await fetch(`${url}${location}`);
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("range"), "0-9");
    res = await fetch(`${url}${location}`, {
      method: "PATCH",
      headers: { "Content-Range": "10-19" },
      body: data.slice(10, 20),
    });
    assert.equal(res.status, 202);
    // The final chunk rides on the closing PUT.
    res = await fetch(`${url}${res.headers.get("location")}?digest=${sha256(data)}`, {
      method: "PUT",
      headers: { "Content-Range": `20-${data.length - 1}` },
      body: data.slice(20),
    });
    assert.equal(res.status, 201);
    assert.equal(await (await fetch(`${url}/v2/push/a/blobs/${sha256(data)}`)).text(), data);
  });

  test("streamed PATCH without Content-Range, closed by an empty PUT", async () => {
    const data = "streamed in one patch";
    const post = await fetch(`${url}/v2/push/a/blobs/uploads/`, { method: "POST" });
    const patch = await fetch(`${url}${post.headers.get("location")}`, { method: "PATCH", body: data });
    assert.equal(patch.status, 202);
    assert.equal(patch.headers.get("range"), `0-${data.length - 1}`);
    const put = await fetch(`${url}${patch.headers.get("location")}?digest=${sha256(data)}`, {
      method: "PUT",
    });
    assert.equal(put.status, 201);
  });

  test("cancel an upload", async () => {
    const post = await fetch(`${url}/v2/push/a/blobs/uploads/`, { method: "POST" });
    const location = post.headers.get("location")!;
    const del = await fetch(`${url}${location}`, { method: "DELETE" });
    assert.equal(del.status, 204);
    const res = await fetch(`${url}${location}`);
    assert.equal(res.status, 404);
    assert.deepEqual(await errorCodes(res), ["BLOB_UPLOAD_UNKNOWN"]);
    assert.equal((await fetch(`${url}${location}`, { method: "DELETE" })).status, 404);
  });

  test("an upload session belongs to its repository", async () => {
    const post = await fetch(`${url}/v2/push/a/blobs/uploads/`, { method: "POST" });
    const id = post.headers.get("docker-upload-uuid");
    const res = await fetch(`${url}/v2/push/b/blobs/uploads/${id}`);
    assert.equal(res.status, 404);
    assert.deepEqual(await errorCodes(res), ["BLOB_UPLOAD_UNKNOWN"]);
    const bogus = await fetch(`${url}/v2/push/a/blobs/uploads/not-a-uuid`);
    assert.equal(bogus.status, 404);
  });

  test("cross-repository mount", async () => {
    const digest = await pushBlob(url, "mount/source", "mount me");
    let res = await fetch(`${url}/v2/mount/target/blobs/uploads/?mount=${digest}&from=mount/source`, {
      method: "POST",
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("location"), `/v2/mount/target/blobs/${digest}`);
    assert.equal(await (await fetch(`${url}/v2/mount/target/blobs/${digest}`)).text(), "mount me");
    // Unknown in the source repository: an ordinary upload session starts instead.
    res = await fetch(`${url}/v2/mount/target/blobs/uploads/?mount=${sha256("absent")}&from=mount/source`, {
      method: "POST",
    });
    assert.equal(res.status, 202);
    assert.ok(res.headers.get("location"));
    // Without `from` (open registry): mounted when the blob exists anywhere.
    res = await fetch(`${url}/v2/mount/third/blobs/uploads/?mount=${digest}`, { method: "POST" });
    assert.equal(res.status, 201);
  });

  test("sha512 digests", async () => {
    const data = "sha512 content";
    const res = await fetch(`${url}/v2/push/a/blobs/uploads/?digest=${sha512(data)}`, {
      method: "POST",
      body: data,
    });
    assert.equal(res.status, 201);
    const get = await fetch(`${url}/v2/push/a/blobs/${sha512(data)}`);
    assert.equal(get.headers.get("docker-content-digest"), sha512(data));
    assert.equal(await get.text(), data);
  });

  test("the same blob pushed twice at once: both succeed, stored once", async () => {
    const data = Buffer.alloc(256 * 1024, 7);
    const digest = sha256(data);
    const sessionsBefore = await readdir(join(reg.root, "uploads")).catch(() => []);
    const [a, b] = await Promise.all([
      fetch(`${url}/v2/dup/a/blobs/uploads/?digest=${digest}`, { method: "POST", body: data }),
      fetch(`${url}/v2/dup/b/blobs/uploads/?digest=${digest}`, { method: "POST", body: data }),
    ]);
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const hex = digest.slice("sha256:".length);
    // Other tests' blobs may share the two-character prefix directory; what matters is that this
    // blob is there once and no temp file from the losing writer is left beside it.
    const dir = join(reg.root, "blobs", "sha256", hex.slice(0, 2));
    const entries = await readdir(dir);
    assert.equal(entries.filter((name) => name === hex).length, 1);
    assert.deepEqual(
      entries.filter((name) => !/^[0-9a-f]{64}$/.test(name)),
      [],
    );
    assert.deepEqual(await readdir(join(reg.root, "uploads")).catch(() => []), sessionsBefore);
  });

  test("upload sessions expire", async () => {
    const short = await startTestRegistry({ uploadExpiryMs: 150 });
    try {
      const post = await fetch(`${short.url}/v2/exp/blobs/uploads/`, { method: "POST" });
      const location = post.headers.get("location")!;
      await new Promise((r) => setTimeout(r, 400));
      const res = await fetch(`${short.url}${location}`, { method: "PATCH", body: "late" });
      assert.equal(res.status, 404);
      assert.deepEqual(await errorCodes(res), ["BLOB_UPLOAD_UNKNOWN"]);
      assert.deepEqual(await readdir(join(short.root, "uploads")), []);
    } finally {
      await short.close();
    }
  });
});

describe("push: manifests", () => {
  test("OCI manifest and index, Docker manifest and list keep their media types", async () => {
    const oci = await pushImage(url, "mt/app", "oci");
    const docker = await pushImage(url, "mt/app", "docker", { mediaType: DOCKER_MANIFEST });
    const indexes: [string, string, string][] = [
      [OCI_INDEX, OCI_MANIFEST, oci.digest],
      [DOCKER_LIST, DOCKER_MANIFEST, docker.digest],
    ];
    for (const [type, childType, child] of indexes) {
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: type,
        manifests: [
          {
            mediaType: childType,
            digest: child,
            size: Buffer.byteLength(childType === OCI_MANIFEST ? oci.manifest : docker.manifest),
            platform: { architecture: "amd64", os: "linux" },
          },
        ],
      });
      const tag = type === OCI_INDEX ? "oci-index" : "docker-list";
      const put = await fetch(`${url}/v2/mt/app/manifests/${tag}`, {
        method: "PUT",
        headers: { "Content-Type": type },
        body,
      });
      assert.equal(put.status, 201, await put.text());
      assert.equal(put.headers.get("docker-content-digest"), sha256(body));
      assert.equal(put.headers.get("location"), `/v2/mt/app/manifests/${sha256(body)}`);
      const get = await fetch(`${url}/v2/mt/app/manifests/${tag}`);
      assert.equal(get.headers.get("content-type"), type);
      assert.equal(await get.text(), body);
    }
    for (const [tag, type] of [
      ["oci", OCI_MANIFEST],
      ["docker", DOCKER_MANIFEST],
    ]) {
      const get = await fetch(`${url}/v2/mt/app/manifests/${tag}`);
      assert.equal(get.headers.get("content-type"), type);
      await get.text();
    }
  });

  test("push by sha512 digest", async () => {
    const image = await pushImage(url, "mt/sha512", "x");
    const res = await fetch(`${url}/v2/mt/sha512/manifests/${sha512(image.manifest)}`, {
      method: "PUT",
      headers: { "Content-Type": OCI_MANIFEST },
      body: image.manifest,
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("docker-content-digest"), sha512(image.manifest));
    const get = await fetch(`${url}/v2/mt/sha512/manifests/${sha512(image.manifest)}`);
    assert.equal(await get.text(), image.manifest);
  });

  test("OCI-Subject on a manifest with a subject, even when the subject is absent", async () => {
    const missingSubject = sha256("not pushed yet");
    const config = await pushBlob(url, "mt/subj", "{}");
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: "application/vnd.example.sbom",
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: config, size: 2 },
      layers: [],
      subject: { mediaType: OCI_MANIFEST, digest: missingSubject, size: 123 },
    });
    const res = await fetch(`${url}/v2/mt/subj/manifests/${sha256(body)}`, {
      method: "PUT",
      headers: { "Content-Type": OCI_MANIFEST },
      body,
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get("oci-subject"), missingSubject);
  });

  test("bad manifests are rejected with the spec's codes and change nothing on disk", async () => {
    const image = await pushImage(url, "bad/app", "ok");
    const before = await snapshot(reg.root);
    const put = (ref: string, body: string, type = OCI_MANIFEST, repo = "bad/app") =>
      fetch(`${url}/v2/${repo}/manifests/${ref}`, { method: "PUT", headers: { "Content-Type": type }, body });
    const withMissingLayer = JSON.stringify({
      ...JSON.parse(image.manifest),
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha256("missing"), size: 7 }],
    });
    const cases: [Promise<Response>, number, string][] = [
      [put("t1", withMissingLayer), 400, "MANIFEST_BLOB_UNKNOWN"],
      [put(sha256("something else"), image.manifest), 400, "DIGEST_INVALID"],
      [put("t2", "{not json"), 400, "MANIFEST_INVALID"],
      [put("t3", JSON.stringify({ schemaVersion: 1, name: "x" })), 400, "MANIFEST_INVALID"],
      [put("t4", image.manifest, OCI_INDEX), 400, "MANIFEST_INVALID"],
      [put("t5", "x".repeat(4 * 1024 * 1024 + 1)), 413, "MANIFEST_INVALID"],
      [put("-bad-tag", image.manifest), 400, "TAG_INVALID"],
      [put("sha256:123", image.manifest), 400, "DIGEST_INVALID"],
      [put("t6", image.manifest, OCI_MANIFEST, "Bad/Name"), 400, "NAME_INVALID"],
      [
        put(
          "t7",
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_INDEX,
            manifests: [{ mediaType: OCI_MANIFEST, digest: sha256("no child"), size: 10 }],
          }),
          OCI_INDEX,
        ),
        400,
        "MANIFEST_BLOB_UNKNOWN",
      ],
      [
        put(
          "t8",
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            config: { mediaType: "x", digest: "sha256:zz", size: 1 },
            layers: [],
          }),
        ),
        400,
        "MANIFEST_INVALID",
      ],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      assert.equal(res.status, status, `expected ${status} ${code}`);
      assert.ok((await errorCodes(res)).includes(code), `expected ${code}`);
    }
    assert.deepEqual(await snapshot(reg.root), before);
  });

  test("bad blob pushes and paths change nothing on disk", async () => {
    await pushImage(url, "bad/blobs", "ok");
    const before = await snapshot(reg.root);
    let res = await fetch(`${url}/v2/bad/blobs/blobs/uploads/?digest=${sha256("other")}`, {
      method: "POST",
      body: "content",
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await errorCodes(res), ["DIGEST_INVALID"]);
    res = await fetch(`${url}/v2/bad/blobs/blobs/uploads/?digest=sha256:xyz`, { method: "POST", body: "x" });
    assert.deepEqual(await errorCodes(res), ["DIGEST_INVALID"]);
    res = await fetch(`${url}/v2/bad/blobs/blobs/uploads/?digest=md5:d41d8cd98f00b204e9800998ecf8427e`, {
      method: "POST",
      body: "x",
    });
    assert.deepEqual(await errorCodes(res), ["DIGEST_INVALID"]);
    // A chunked upload closed with the wrong digest is discarded.
    const post = await fetch(`${url}/v2/bad/blobs/blobs/uploads/`, { method: "POST" });
    const patch = await fetch(`${url}${post.headers.get("location")}`, { method: "PATCH", body: "abc" });
    res = await fetch(`${url}${patch.headers.get("location")}?digest=${sha256("abd")}`, { method: "PUT" });
    assert.equal(res.status, 400);
    assert.deepEqual(await errorCodes(res), ["DIGEST_INVALID"]);
    // A closing PUT without a digest.
    const post2 = await fetch(`${url}/v2/bad/blobs/blobs/uploads/`, { method: "POST" });
    res = await fetch(`${url}${post2.headers.get("location")}`, { method: "PUT", body: "x" });
    assert.deepEqual(await errorCodes(res), ["DIGEST_INVALID"]);
    await fetch(`${url}${post2.headers.get("location")}`, { method: "DELETE" });
    // A chunk whose length disagrees with its Content-Range is cut off again.
    const post3 = await fetch(`${url}/v2/bad/blobs/blobs/uploads/`, { method: "POST" });
    res = await fetch(`${url}${post3.headers.get("location")}`, {
      method: "PATCH",
      headers: { "Content-Range": "0-9" },
      body: "short",
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await errorCodes(res), ["SIZE_INVALID"]);
    const status = await fetch(`${url}${post3.headers.get("location")}`);
    assert.equal(status.headers.get("range"), "0-0");
    await fetch(`${url}${post3.headers.get("location")}`, { method: "DELETE" });
    // Names and digests that try to leave the root.
    for (const path of [
      `/v2/../../etc/blobs/${sha256("x")}`,
      `/v2/bad/%2e%2e/%2e%2e/blobs/uploads/`,
      `/v2/bad/blobs/manifests/..`,
      `/v2/bad/blobs/blobs/sha256:..%2f..%2fetc`,
    ]) {
      const raw = await rawRequest(url, path.endsWith("uploads/") ? "POST" : "GET", path);
      assert.equal(raw.status, 400, path);
      const codes = (JSON.parse(raw.body) as { errors: { code: string }[] }).errors.map((e) => e.code);
      assert.ok(
        codes.some((c) => ["NAME_INVALID", "TAG_INVALID", "DIGEST_INVALID"].includes(c)),
        `${path}: ${raw.body}`,
      );
    }
    assert.deepEqual(await snapshot(reg.root), before);
  });
});

describe("content discovery", () => {
  before(async () => {
    const image = await pushImage(url, "disc/app", "a");
    for (const tag of ["d", "b", "c", "B", "1.0"]) {
      await fetch(`${url}/v2/disc/app/manifests/${tag}`, {
        method: "PUT",
        headers: { "Content-Type": OCI_MANIFEST },
        body: image.manifest,
      });
    }
  });

  test("tags list in ASCII order", async () => {
    const res = await fetch(`${url}/v2/disc/app/tags/list`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { name: "disc/app", tags: ["1.0", "B", "a", "b", "c", "d"] });
  });

  test("tags pagination with n, last and Link", async () => {
    let res = await fetch(`${url}/v2/disc/app/tags/list?n=2`);
    assert.deepEqual(((await res.json()) as { tags: string[] }).tags, ["1.0", "B"]);
    assert.equal(res.headers.get("link"), '</v2/disc/app/tags/list?n=2&last=B>; rel="next"');
    res = await fetch(`${url}/v2/disc/app/tags/list?n=2&last=B`);
    assert.deepEqual(((await res.json()) as { tags: string[] }).tags, ["a", "b"]);
    res = await fetch(`${url}/v2/disc/app/tags/list?n=10&last=b`);
    assert.deepEqual(((await res.json()) as { tags: string[] }).tags, ["c", "d"]);
    assert.equal(res.headers.get("link"), null);
    res = await fetch(`${url}/v2/disc/app/tags/list?last=c`);
    assert.deepEqual(((await res.json()) as { tags: string[] }).tags, ["d"]);
    res = await fetch(`${url}/v2/disc/app/tags/list?n=0`);
    assert.deepEqual(((await res.json()) as { tags: string[] }).tags, []);
    assert.equal(res.headers.get("link"), null);
    res = await fetch(`${url}/v2/disc/app/tags/list?n=-1`);
    assert.equal(res.status, 400);
    assert.deepEqual(await errorCodes(res), ["PAGINATION_NUMBER_INVALID"]);
    res = await fetch(`${url}/v2/disc/none/tags/list`);
    assert.equal(res.status, 404);
    assert.deepEqual(await errorCodes(res), ["NAME_UNKNOWN"]);
  });

  test("catalog with pagination", async () => {
    const all = ((await (await fetch(`${url}/v2/_catalog`)).json()) as { repositories: string[] })
      .repositories;
    assert.ok(all.includes("disc/app"));
    assert.deepEqual(all, [...all].sort());
    const first = await fetch(`${url}/v2/_catalog?n=1`);
    const page = (await first.json()) as { repositories: string[] };
    assert.equal(page.repositories.length, 1);
    assert.equal(
      first.headers.get("link"),
      `</v2/_catalog?n=1&last=${encodeURIComponent(page.repositories[0]!)}>; rel="next"`,
    );
    const next = (await (await fetch(`${url}/v2/_catalog?n=1&last=${page.repositories[0]}`)).json()) as {
      repositories: string[];
    };
    assert.equal(next.repositories[0], all[1]);
  });

  test("referrers API with artifactType filter", async () => {
    const subject = await pushImage(url, "ref/app", "v1");
    const subjectDesc = {
      mediaType: OCI_MANIFEST,
      digest: subject.digest,
      size: Buffer.byteLength(subject.manifest),
    };
    const empty = await pushBlob(url, "ref/app", "{}");
    const pushReferrer = async (body: Record<string, unknown>, type = OCI_MANIFEST) => {
      const text = JSON.stringify(body);
      const res = await fetch(`${url}/v2/ref/app/manifests/${sha256(text)}`, {
        method: "PUT",
        headers: { "Content-Type": type },
        body: text,
      });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get("oci-subject"), subject.digest);
      return { digest: sha256(text), size: Buffer.byteLength(text) };
    };
    const sbom = await pushReferrer({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: "application/vnd.example.sbom",
      config: { mediaType: "application/vnd.oci.empty.v1+json", digest: empty, size: 2 },
      layers: [],
      subject: subjectDesc,
      annotations: { "org.example": "sbom" },
    });
    const sig = await pushReferrer({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.example.signature", digest: empty, size: 2 },
      layers: [],
      subject: subjectDesc,
    });
    const idx = await pushReferrer(
      { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [], subject: subjectDesc },
      OCI_INDEX,
    );
    let res = await fetch(`${url}/v2/ref/app/referrers/${subject.digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), OCI_INDEX);
    const list = (await res.json()) as {
      schemaVersion: number;
      mediaType: string;
      manifests: Record<string, unknown>[];
    };
    assert.equal(list.schemaVersion, 2);
    assert.equal(list.mediaType, OCI_INDEX);
    const byDigest = new Map(list.manifests.map((m) => [m.digest, m]));
    assert.deepEqual(byDigest.get(sbom.digest), {
      mediaType: OCI_MANIFEST,
      digest: sbom.digest,
      size: sbom.size,
      artifactType: "application/vnd.example.sbom",
      annotations: { "org.example": "sbom" },
    });
    assert.equal(byDigest.get(sig.digest)?.artifactType, "application/vnd.example.signature");
    assert.equal(byDigest.get(idx.digest)?.artifactType, undefined);
    assert.equal(list.manifests.length, 3);

    res = await fetch(
      `${url}/v2/ref/app/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`,
    );
    assert.equal(res.headers.get("oci-filters-applied"), "artifactType");
    const filtered = (await res.json()) as { manifests: { digest: string }[] };
    assert.deepEqual(
      filtered.manifests.map((m) => m.digest),
      [sbom.digest],
    );

    res = await fetch(`${url}/v2/ref/app/referrers/${sha256("no referrers")}`);
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { manifests: unknown[] }).manifests, []);
    res = await fetch(`${url}/v2/ref/app/referrers/sha256:bogus`);
    assert.equal(res.status, 400);
    assert.deepEqual(await errorCodes(res), ["DIGEST_INVALID"]);

    // Deleting a referrer removes it from the list.
    assert.equal(
      (await fetch(`${url}/v2/ref/app/manifests/${sig.digest}`, { method: "DELETE" })).status,
      202,
    );
    res = await fetch(`${url}/v2/ref/app/referrers/${subject.digest}`);
    assert.equal(((await res.json()) as { manifests: unknown[] }).manifests.length, 2);
  });
});

describe("content management", () => {
  test("delete a tag, then the manifest, then a blob", async () => {
    const image = await pushImage(url, "mgmt/app", "v1");
    await fetch(`${url}/v2/mgmt/app/manifests/v2`, {
      method: "PUT",
      headers: { "Content-Type": OCI_MANIFEST },
      body: image.manifest,
    });
    let res = await fetch(`${url}/v2/mgmt/app/manifests/v1`, { method: "DELETE" });
    assert.equal(res.status, 202);
    assert.equal((await fetch(`${url}/v2/mgmt/app/manifests/v1`)).status, 404);
    assert.equal(
      (await fetch(`${url}/v2/mgmt/app/manifests/${image.digest}`, { method: "HEAD" })).status,
      200,
    );
    assert.equal((await fetch(`${url}/v2/mgmt/app/manifests/v2`, { method: "HEAD" })).status, 200);

    res = await fetch(`${url}/v2/mgmt/app/manifests/${image.digest}`, { method: "DELETE" });
    assert.equal(res.status, 202);
    assert.equal(
      (await fetch(`${url}/v2/mgmt/app/manifests/${image.digest}`, { method: "HEAD" })).status,
      404,
    );
    assert.equal((await fetch(`${url}/v2/mgmt/app/manifests/v2`, { method: "HEAD" })).status, 404);
    assert.deepEqual(
      ((await (await fetch(`${url}/v2/mgmt/app/tags/list`)).json()) as { tags: string[] }).tags,
      [],
    );

    res = await fetch(`${url}/v2/mgmt/app/manifests/${image.digest}`, { method: "DELETE" });
    assert.equal(res.status, 404);
    assert.deepEqual(await errorCodes(res), ["MANIFEST_UNKNOWN"]);
    res = await fetch(`${url}/v2/mgmt/app/manifests/nosuchtag`, { method: "DELETE" });
    assert.equal(res.status, 404);

    const layer = image.layers[0]!;
    res = await fetch(`${url}/v2/mgmt/app/blobs/${layer}`, { method: "DELETE" });
    assert.equal(res.status, 202);
    res = await fetch(`${url}/v2/mgmt/app/blobs/${layer}`);
    assert.equal(res.status, 404);
    assert.deepEqual(await errorCodes(res), ["BLOB_UNKNOWN"]);
    res = await fetch(`${url}/v2/mgmt/app/blobs/${layer}`, { method: "DELETE" });
    assert.equal(res.status, 404);
    res = await fetch(`${url}/v2/mgmt/gone/manifests/${image.digest}`, { method: "DELETE" });
    assert.equal(res.status, 404);
    assert.deepEqual(await errorCodes(res), ["NAME_UNKNOWN"]);
  });
});
