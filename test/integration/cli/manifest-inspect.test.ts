// wharf manifest inspect [-v] against `wharf registry serve` (htpasswd auth) on 127.0.0.1: the
// CLI reads the registry itself with the credentials stored in $DOCKER_CONFIG, no daemon needed.
// Expected texts are docker 28's layouts: an image manifest re-indented with tabs, an index
// rebuilt with 3-space indents, --verbose as ImageManifest records.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeHtpasswd } from "../distribution/helpers.ts";
import { type PushedImage, pushImage, startTestRegistry, type TestRegistry } from "../registry/helpers.ts";
import { wharf } from "./harness.ts";

let reg: TestRegistry;
let host: string;
let cfg: string;
const auth = { Authorization: `Basic ${Buffer.from("bob:bob-pw").toString("base64")}` };
// No daemon: the command must not need one.
const cli = (...args: string[]) => wharf("unix:///nonexistent/wharf.sock", args);

let single: PushedImage;
let amd: PushedImage;
let arm: PushedImage;
let index: string;

before(async () => {
  cfg = mkdtempSync(join(tmpdir(), "wharf-manifest-cfg-"));
  process.env.DOCKER_CONFIG = cfg;
  await writeHtpasswd(join(cfg, "htpasswd"), { bob: "bob-pw" });
  reg = await startTestRegistry({ htpasswd: join(cfg, "htpasswd") });
  host = new URL(reg.url).host;
  single = await pushImage(reg.url, "mi/single", "1", {
    headers: auth,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    layers: ["one", "two"],
    extra: { annotations: { note: "a<b>&c" } },
  });
  amd = await pushImage(reg.url, "mi/multi", undefined, { headers: auth });
  arm = await pushImage(reg.url, "mi/multi", undefined, { headers: auth });
  index = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: amd.digest,
        size: amd.manifest.length,
        platform: { architecture: "amd64", os: "linux" },
      },
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: arm.digest,
        size: arm.manifest.length,
        platform: { architecture: "arm64", os: "linux", variant: "v8" },
        annotations: { dropped: "by docker" },
      },
    ],
  });
  const res = await fetch(`${reg.url}/v2/mi/multi/manifests/1`, {
    method: "PUT",
    headers: { "Content-Type": "application/vnd.oci.image.index.v1+json", ...auth },
    body: index,
  });
  assert.equal(res.status, 201);
  writeFileSync(
    join(cfg, "config.json"),
    JSON.stringify({ auths: { [host]: { auth: Buffer.from("bob:bob-pw").toString("base64") } } }),
  );
});
after(async () => {
  await reg?.close();
  rmSync(cfg, { recursive: true, force: true });
});

/** An image manifest as docker prints it: the registry's bytes re-indented with tabs. */
function tabIndented(m: PushedImage, layerType: string, configType: string, note?: string): string {
  const c = JSON.parse(m.manifest) as { config: { size: number }; layers: { size: number }[] };
  const layers = m.layers
    .map(
      (d, i) =>
        `\t\t{\n\t\t\t"mediaType": "${layerType}",\n\t\t\t"digest": "${d}",\n\t\t\t"size": ${c.layers[i]?.size}\n\t\t}`,
    )
    .join(",\n");
  return (
    `{\n\t"schemaVersion": 2,\n\t"mediaType": "${JSON.parse(m.manifest).mediaType}",\n` +
    `\t"config": {\n\t\t"mediaType": "${configType}",\n\t\t"digest": "${m.config}",\n\t\t"size": ${c.config.size}\n\t},\n` +
    `\t"layers": [\n${layers}\n\t]${note === undefined ? "" : `,\n\t"annotations": {\n\t\t"note": "${note}"\n\t}`}\n}\n`
  );
}

test("an image manifest: the registry's JSON re-indented; -v adds Ref, Descriptor (platform from the config), Raw", async () => {
  const name = `${host}/mi/single:1`;
  const r = await cli("manifest", "inspect", name);
  assert.equal(r.code, 0, r.stderr);
  const dockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";
  const dockerConfig = "application/vnd.docker.container.image.v1+json";
  assert.equal(r.stdout, tabIndented(single, dockerLayer, dockerConfig, "a<b>&c"));

  const v = await cli("manifest", "inspect", "--verbose", name);
  assert.equal(v.code, 0, v.stderr);
  // json.Marshal escapes HTML in the embedded manifest; the plain form keeps the bytes.
  const embedded = tabIndented(single, dockerLayer, dockerConfig, "a\\u003cb\\u003e\\u0026c")
    .trimEnd()
    .replace(/\n/g, "\n\t");
  assert.equal(
    v.stdout,
    `{\n\t"Ref": "${name}",\n\t"Descriptor": {\n\t\t"mediaType": "application/vnd.docker.distribution.manifest.v2+json",\n` +
      `\t\t"digest": "${single.digest}",\n\t\t"size": ${single.manifest.length},\n` +
      `\t\t"platform": {\n\t\t\t"architecture": "amd64",\n\t\t\t"os": "linux"\n\t\t}\n\t},\n` +
      `\t"Raw": "${Buffer.from(single.manifest).toString("base64")}",\n\t"SchemaV2Manifest": ${embedded}\n}\n`,
  );

  // By digest, with the short flag.
  const byDigest = await cli("manifest", "inspect", "-v", `${host}/mi/single@${single.digest}`);
  assert.equal(byDigest.code, 0, byDigest.stderr);
  assert.match(byDigest.stdout, new RegExp(`^\\t"Ref": "${host}/mi/single@${single.digest}",$`, "m"));
});

test("an OCI index: rebuilt as docker's manifest list (3-space indent); -v lists each platform's manifest", async () => {
  const name = `${host}/mi/multi:1`;
  const r = await cli("manifest", "inspect", name);
  assert.equal(r.code, 0, r.stderr);
  const entry = (m: PushedImage, platform: string) =>
    `      {\n         "mediaType": "application/vnd.oci.image.manifest.v1+json",\n         "size": ${m.manifest.length},\n` +
    `         "digest": "${m.digest}",\n         "platform": {\n${platform}\n         }\n      }`;
  assert.equal(
    r.stdout,
    `{\n   "schemaVersion": 2,\n   "mediaType": "application/vnd.oci.image.index.v1+json",\n   "manifests": [\n` +
      `${entry(amd, '            "architecture": "amd64",\n            "os": "linux"')},\n` +
      `${entry(arm, '            "architecture": "arm64",\n            "os": "linux",\n            "variant": "v8"')}\n   ]\n}\n`,
  );

  const v = await cli("manifest", "inspect", "-v", name);
  assert.equal(v.code, 0, v.stderr);
  const records = JSON.parse(v.stdout) as {
    Ref: string;
    Descriptor: { digest: string; size: number; platform: Record<string, string> };
    Raw: string;
    OCIManifest: unknown;
  }[];
  assert.deepEqual(
    records.map((x) => [x.Ref, x.Descriptor.digest, x.Descriptor.size, x.Descriptor.platform]),
    [
      [`${name}@${amd.digest}`, amd.digest, amd.manifest.length, { architecture: "amd64", os: "linux" }],
      [
        `${name}@${arm.digest}`,
        arm.digest,
        arm.manifest.length,
        { architecture: "arm64", os: "linux", variant: "v8" },
      ],
    ],
  );
  assert.equal(Buffer.from(records[1]?.Raw ?? "", "base64").toString(), arm.manifest);
  assert.deepEqual(records[0]?.OCIManifest, JSON.parse(amd.manifest));
  assert.ok(v.stdout.startsWith('[\n\t{\n\t\t"Ref": '), v.stdout.slice(0, 40));
});

test("unknown tags, missing credentials and bad references fail with exit 1", async () => {
  const none = await cli("manifest", "inspect", `${host}/mi/none:1`);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, "");
  assert.equal(none.stderr, `no such manifest: ${host}/mi/none:1\n`);
  const latest = await cli("manifest", "inspect", `${host}/mi/single`);
  assert.equal(latest.stderr, `no such manifest: ${host}/mi/single:latest\n`);

  writeFileSync(join(cfg, "config.json"), "{}");
  try {
    const denied = await cli("manifest", "inspect", `${host}/mi/single:1`);
    assert.equal(denied.code, 1);
    assert.equal(denied.stdout, "");
    assert.equal(denied.stderr, `Get "http://${host}/v2/mi/single/manifests/1": no basic auth credentials\n`);
    // A wrong password: docker reports the manifest as missing.
    writeFileSync(
      join(cfg, "config.json"),
      JSON.stringify({ auths: { [host]: { auth: Buffer.from("bob:wrong").toString("base64") } } }),
    );
    const refused = await cli("manifest", "inspect", `${host}/mi/single:1`);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `no such manifest: ${host}/mi/single:1\n`);
  } finally {
    writeFileSync(
      join(cfg, "config.json"),
      JSON.stringify({ auths: { [host]: { auth: Buffer.from("bob:bob-pw").toString("base64") } } }),
    );
  }

  const bad = await cli("manifest", "inspect", "bad::ref");
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid reference format/);
});
