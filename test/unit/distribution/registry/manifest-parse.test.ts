import assert from "node:assert/strict";
import { test } from "node:test";
import { RegistryError } from "../../../../src/distribution/registry/errors.ts";
import {
  baseMediaType,
  parseManifest,
  referrerDescriptor,
} from "../../../../src/distribution/registry/manifest/parse.ts";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const D3 = `sha256:${"3".repeat(64)}`;
const OCI = "application/vnd.oci.image.manifest.v1+json";
const INDEX = "application/vnd.oci.image.index.v1+json";

const bytes = (doc: unknown) => Buffer.from(JSON.stringify(doc));
const invalid = (err: unknown) => err instanceof RegistryError && err.code === "MANIFEST_INVALID";

const image = {
  schemaVersion: 2,
  mediaType: OCI,
  config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: D1, size: 10 },
  layers: [
    { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: D2, size: 20 },
    {
      mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
      digest: D3,
      size: 30,
      urls: ["https://example.com/layer"],
    },
  ],
};

test("OCI image manifest: blobs to check exclude non-distributable layers", () => {
  const parsed = parseManifest(bytes(image), OCI);
  assert.equal(parsed.kind, "image");
  assert.equal(parsed.mediaType, OCI);
  assert.deepEqual(
    parsed.blobs.map((b) => b.digest),
    [D1, D2],
  );
  assert.deepEqual(
    parsed.external.map((b) => b.digest),
    [D3],
  );
  assert.equal(parsed.configMediaType, "application/vnd.oci.image.config.v1+json");
});

test("Docker schema 2 manifest and manifest list", () => {
  const docker = { ...image, mediaType: "application/vnd.docker.distribution.manifest.v2+json" };
  assert.equal(
    parseManifest(bytes(docker), "application/vnd.docker.distribution.manifest.v2+json").kind,
    "image",
  );
  const list = {
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
    manifests: [
      { mediaType: docker.mediaType, digest: D1, size: 5, platform: { architecture: "amd64", os: "linux" } },
    ],
  };
  const parsed = parseManifest(bytes(list), list.mediaType);
  assert.equal(parsed.kind, "index");
  assert.deepEqual(
    parsed.manifests.map((m) => m.digest),
    [D1],
  );
});

test("the media type comes from the body, the header, or the structure", () => {
  const { mediaType: _, ...noType } = image;
  assert.equal(parseManifest(bytes(noType), OCI).mediaType, OCI);
  assert.equal(parseManifest(bytes(noType), undefined).mediaType, OCI);
  assert.equal(
    parseManifest(bytes({ schemaVersion: 2, manifests: [] }), "application/json").mediaType,
    INDEX,
  );
  assert.equal(parseManifest(bytes(image), `${OCI}; charset=utf-8`).mediaType, OCI);
  assert.equal(baseMediaType(" Application/JSON ; x=y"), "application/json");
});

test("invalid manifests", () => {
  assert.throws(() => parseManifest(Buffer.from("{"), OCI), invalid);
  assert.throws(() => parseManifest(bytes([]), OCI), invalid);
  assert.throws(() => parseManifest(bytes({ ...image, schemaVersion: 1 }), OCI), invalid);
  assert.throws(() => parseManifest(bytes(image), INDEX), invalid, "header and body disagree");
  assert.throws(
    () =>
      parseManifest(
        bytes({ ...image, mediaType: "application/vnd.docker.distribution.manifest.v1+prettyjws" }),
        undefined,
      ),
    invalid,
  );
  assert.throws(() => parseManifest(bytes({ ...image, mediaType: "text/plain" }), undefined), invalid);
  assert.throws(() => parseManifest(bytes({ schemaVersion: 2 }), undefined), invalid);
  assert.throws(
    () => parseManifest(bytes({ ...image, config: { ...image.config, digest: "sha256:x" } }), OCI),
    invalid,
  );
  assert.throws(
    () => parseManifest(bytes({ ...image, config: { ...image.config, size: -1 } }), OCI),
    invalid,
  );
  assert.throws(() => parseManifest(bytes({ ...image, layers: "nope" }), OCI), invalid);
  assert.throws(() => parseManifest(bytes({ ...image, annotations: { a: 1 } }), OCI), invalid);
  assert.throws(
    () => parseManifest(bytes({ schemaVersion: 2, mediaType: INDEX, manifests: [{}] }), INDEX),
    invalid,
  );
});

test("referrer descriptors: artifactType falls back to the config media type for images only", () => {
  const subject = { mediaType: OCI, digest: D3, size: 1 };
  const artifact = parseManifest(
    bytes({ ...image, artifactType: "application/x-sbom", subject, annotations: { k: "v" } }),
    OCI,
  );
  assert.equal(artifact.subject?.digest, D3);
  assert.deepEqual(referrerDescriptor(artifact, D1, 123), {
    mediaType: OCI,
    digest: D1,
    size: 123,
    artifactType: "application/x-sbom",
    annotations: { k: "v" },
  });
  const plain = parseManifest(bytes({ ...image, subject }), OCI);
  assert.equal(referrerDescriptor(plain, D1, 1).artifactType, "application/vnd.oci.image.config.v1+json");
  const index = parseManifest(bytes({ schemaVersion: 2, mediaType: INDEX, manifests: [], subject }), INDEX);
  assert.equal(referrerDescriptor(index, D1, 1).artifactType, undefined);
});
