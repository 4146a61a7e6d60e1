// Pure logic of the registry client: Docker's reference normalisation, WWW-Authenticate
// parsing, X-Registry-Auth decoding, insecure-registry rules, platform selection, errcode text.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  challengeErrors,
  decodeRegistryAuth,
  parseChallenges,
} from "../../../../src/distribution/client/auth.ts";
import { errcodeText } from "../../../../src/distribution/client/errors.ts";
import { inCidr, RegistryHosts } from "../../../../src/distribution/client/hosts.ts";
import { parsePlatform, selectManifest } from "../../../../src/distribution/client/manifest.ts";
import {
  familiarName,
  familiarString,
  parseImageRef,
  refFromPullParams,
  registryDomain,
  withDefaultTag,
} from "../../../../src/util/reference.ts";

describe("references", () => {
  test("familiar names get docker.io and library/", () => {
    assert.deepEqual(withDefaultTag(parseImageRef("busybox")), {
      domain: "docker.io",
      path: "library/busybox",
      tag: "latest",
    });
    assert.deepEqual(parseImageRef("foo/bar:1"), { domain: "docker.io", path: "foo/bar", tag: "1" });
    assert.deepEqual(parseImageRef("index.docker.io/busybox").path, "library/busybox");
    assert.equal(familiarName(parseImageRef("docker.io/library/busybox")), "busybox");
  });

  test("hosts with ports, localhost, digests", () => {
    const d = `sha256:${"a".repeat(64)}`;
    assert.deepEqual(parseImageRef(`127.0.0.1:5000/ns/repo@${d}`), {
      domain: "127.0.0.1:5000",
      path: "ns/repo",
      digest: d,
    });
    assert.equal(parseImageRef("localhost/x").domain, "localhost");
    assert.equal(parseImageRef("[::1]:5000/x:y").domain, "[::1]:5000");
    assert.equal(familiarString(parseImageRef(`reg.io/a:1@${d}`)), `reg.io/a:1@${d}`);
  });

  test("bad references are refused", () => {
    assert.throws(() => parseImageRef("UPPER"), /must be lowercase/);
    assert.throws(() => parseImageRef("a".repeat(64)), /64-byte hexadecimal/);
    assert.throws(() => parseImageRef("foo:bar:baz"), /invalid reference format/);
    assert.throws(() => parseImageRef("foo@sha256:abc"), /invalid reference format/);
  });

  test("the pull API's tag may be a digest", () => {
    const d = `sha256:${"b".repeat(64)}`;
    assert.equal(refFromPullParams("127.0.0.1:5000/x", d).digest, d);
    assert.equal(refFromPullParams("busybox", "1.36").tag, "1.36");
    assert.equal(refFromPullParams("busybox").tag, undefined);
  });

  test("login server addresses", () => {
    assert.equal(registryDomain("https://index.docker.io/v1/"), "docker.io");
    assert.equal(registryDomain("http://127.0.0.1:5000"), "127.0.0.1:5000");
    assert.equal(registryDomain("127.0.0.1:5000/"), "127.0.0.1:5000");
  });
});

describe("auth", () => {
  test("challenges: bearer with params, basic, several in one header", () => {
    assert.deepEqual(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      ),
      [
        {
          scheme: "bearer",
          params: {
            realm: "https://auth.docker.io/token",
            service: "registry.docker.io",
            scope: "repository:library/busybox:pull",
          },
        },
      ],
    );
    assert.deepEqual(parseChallenges('Basic realm="wharf-registry",charset="UTF-8"'), [
      { scheme: "basic", params: { realm: "wharf-registry", charset: "UTF-8" } },
    ]);
    const two = parseChallenges('Basic realm="a", Bearer realm="b",service=s');
    assert.deepEqual(
      two.map((c) => [c.scheme, c.params.realm, c.params.service]),
      [
        ["basic", "a", undefined],
        ["bearer", "b", "s"],
      ],
    );
  });

  test("X-Registry-Auth: base64url JSON, {} and garbage mean no credentials", () => {
    const h = Buffer.from(JSON.stringify({ username: "u", password: "p?>", serveraddress: "r:1" }))
      .toString("base64")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    assert.deepEqual(decodeRegistryAuth(h), { username: "u", password: "p?>", serverAddress: "r:1" });
    assert.deepEqual(decodeRegistryAuth("e30="), {});
    assert.deepEqual(decodeRegistryAuth("%%%"), {});
    const viaAuth = Buffer.from(JSON.stringify({ auth: Buffer.from("x:y:z").toString("base64") })).toString(
      "base64",
    );
    assert.deepEqual(decodeRegistryAuth(viaAuth), { username: "x", password: "y:z" });
  });
});

describe("hosts", () => {
  test("127.0.0.0/8, ::1 and localhost are insecure by default; configured ones too", () => {
    const hosts = new RegistryHosts({ insecureRegistries: ["myreg:5000", "10.0.0.0/8"], certsDirs: [] });
    assert.equal(hosts.isInsecure("127.0.0.1:5000"), true);
    assert.equal(hosts.isInsecure("127.9.9.9"), true);
    assert.equal(hosts.isInsecure("localhost:5000"), true);
    assert.equal(hosts.isInsecure("[::1]:5000"), true);
    assert.equal(hosts.isInsecure("myreg:5000"), true);
    assert.equal(hosts.isInsecure("myreg:6000"), false);
    assert.equal(hosts.isInsecure("10.2.3.4:443"), true);
    assert.equal(hosts.isInsecure("docker.io"), false);
    assert.equal(hosts.endpoint("docker.io").base, "https://registry-1.docker.io");
    assert.equal(inCidr("192.168.1.9", "192.168.0.0/16"), true);
    assert.equal(inCidr("192.169.1.9", "192.168.0.0/16"), false);
  });

  test("mirrors come before Docker Hub, only for docker.io", () => {
    const hosts = new RegistryHosts({ mirrors: ["http://127.0.0.1:5001/"], certsDirs: [] });
    assert.deepEqual(
      hosts.pullEndpoints("docker.io").map((e) => [e.base, e.mirror]),
      [
        ["http://127.0.0.1:5001", true],
        ["https://registry-1.docker.io", false],
      ],
    );
    assert.equal(hosts.pullEndpoints("quay.io").length, 1);
  });
});

describe("manifests", () => {
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: "sha256:arm",
        size: 1,
        platform: { os: "linux", architecture: "arm64", variant: "v8" },
      },
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: "sha256:amd",
        size: 1,
        platform: { os: "linux", architecture: "amd64" },
      },
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: "sha256:arm7",
        size: 1,
        platform: { os: "linux", architecture: "arm", variant: "v7" },
      },
    ],
  };
  test("platform selection from an index", () => {
    assert.equal(selectManifest(index, parsePlatform("linux/amd64"))?.digest, "sha256:amd");
    assert.equal(selectManifest(index, parsePlatform("linux/arm64"))?.digest, "sha256:arm");
    assert.equal(selectManifest(index, parsePlatform("linux/arm"))?.digest, "sha256:arm7");
    assert.equal(selectManifest(index, parsePlatform("linux/s390x")), undefined);
    assert.deepEqual(parsePlatform("linux/aarch64"), { os: "linux", architecture: "arm64", variant: "v8" });
  });

  test("registry errors read like distribution's errcode", () => {
    assert.equal(
      errcodeText([{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }]),
      "manifest unknown: manifest unknown",
    );
    assert.equal(
      errcodeText([
        { code: "DENIED", message: "no" },
        { code: "UNAUTHORIZED", message: "authentication required" },
      ]),
      "errors:\ndenied: no\nunauthorized: authentication required\n",
    );
  });

  test("a Bearer challenge's error comes first, as distribution's HandleErrorResponse reads it", () => {
    const realm = 'Bearer realm="http://r/token",service="s",scope="repository:a:push,pull"';
    assert.deepEqual(challengeErrors(`${realm},error="insufficient_scope"`), [
      { code: "DENIED", message: "requested access to the resource is denied" },
    ]);
    assert.deepEqual(challengeErrors(`${realm},error="invalid_token",error_description="expired"`), [
      { code: "UNAUTHORIZED", message: "expired" },
    ]);
    assert.deepEqual(challengeErrors(realm), []);
    assert.deepEqual(challengeErrors('Basic realm="r"'), []);
    assert.deepEqual(challengeErrors(undefined), []);
  });
});
