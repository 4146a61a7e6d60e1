// Debian's skopeo — a client no one here wrote — pushes to and pulls from `wharf registry
// serve`: by tag and by digest, OCI and Docker schema 2, a multi-arch index, over plain HTTP,
// with htpasswd over plain HTTP and over TLS, over TLS without auth, and with Bearer token auth
// (plain and over TLS).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import bcrypt from "bcryptjs";
import {
  makeSelfSignedCert,
  startTestRegistry,
  type TestRegistry,
  tempDir,
} from "../../integration/registry/helpers.ts";
import { buildImageLayout, buildIndexLayout, type LayoutImage, layoutBlobs } from "./oci-layout.ts";

const run = promisify(execFile);
const haveSkopeo = await run("skopeo", ["--version"]).then(
  () => true,
  () => false,
);

let work: string;
let source: string;
let image: LayoutImage;
let indexSource: string;
let index: LayoutImage;

async function skopeo(args: string[]): Promise<{ stdout: string; stderr: string }> {
  // A private HOME and runtime dir: no credentials from the machine, none left behind.
  const env = {
    ...process.env,
    HOME: work,
    XDG_RUNTIME_DIR: work,
    REGISTRY_AUTH_FILE: join(work, "auth.json"),
  };
  return run("skopeo", ["--command-timeout", "60s", ...args], { env, timeout: 90_000 });
}

async function skopeoFails(args: string[]): Promise<string> {
  try {
    await skopeo(args);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`skopeo ${args.join(" ")} unexpectedly succeeded`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

before(async () => {
  if (!haveSkopeo) return;
  work = await tempDir("wharf-skopeo-");
  source = join(work, "source");
  image = await buildImageLayout(source, "v1");
  indexSource = join(work, "index-source");
  index = await buildIndexLayout(indexSource, "multi");
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("skopeo over plain HTTP", { skip: !haveSkopeo && "skopeo is not installed" }, () => {
  let reg: TestRegistry;
  let host: string;
  before(async () => {
    reg = await startTestRegistry();
    host = new URL(reg.url).host;
  });
  after(async () => {
    await reg?.close();
  });

  test("push by tag, inspect, list tags, pull by tag and by digest", async () => {
    await skopeo(["copy", "--dest-tls-verify=false", `oci:${source}:v1`, `docker://${host}/compat/app:v1`]);
    const inspect = JSON.parse(
      (await skopeo(["inspect", "--tls-verify=false", `docker://${host}/compat/app:v1`])).stdout,
    ) as { Digest: string; Architecture: string; Layers: string[] };
    assert.equal(inspect.Digest, image.manifestDigest);
    assert.equal(inspect.Architecture, "amd64");
    const raw = (await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${host}/compat/app:v1`]))
      .stdout;
    assert.equal(raw, image.manifest);
    const tags = JSON.parse(
      (await skopeo(["list-tags", "--tls-verify=false", `docker://${host}/compat/app`])).stdout,
    );
    assert.deepEqual(tags.Tags, ["v1"]);

    const byTag = join(work, "pulled-tag");
    await skopeo(["copy", "--src-tls-verify=false", `docker://${host}/compat/app:v1`, `oci:${byTag}:v1`]);
    assert.deepEqual(await layoutBlobs(byTag), await layoutBlobs(source));
    const byDigest = join(work, "pulled-digest");
    await skopeo([
      "copy",
      "--src-tls-verify=false",
      `docker://${host}/compat/app@${image.manifestDigest}`,
      `oci:${byDigest}:x`,
    ]);
    assert.deepEqual(await layoutBlobs(byDigest), await layoutBlobs(source));
  });

  test("push by digest stores the manifest untagged; pull it by digest", async () => {
    const ref = `docker://${host}/compat/bydigest@${image.manifestDigest}`;
    await skopeo(["copy", "--dest-tls-verify=false", `oci:${source}:v1`, ref]);
    const head = await fetch(`${reg.url}/v2/compat/bydigest/manifests/${image.manifestDigest}`, {
      method: "HEAD",
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("docker-content-digest"), image.manifestDigest);
    const tags = await fetch(`${reg.url}/v2/compat/bydigest/tags/list`);
    assert.deepEqual(await tags.json(), { name: "compat/bydigest", tags: [] });
    const out = join(work, "pulled-bydigest");
    await skopeo(["copy", "--src-tls-verify=false", ref, `oci:${out}:v1`]);
    assert.deepEqual(await layoutBlobs(out), await layoutBlobs(source));
  });

  test("a second repository reuses blobs by cross-repository mount", async () => {
    await skopeo([
      "copy",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      `docker://${host}/compat/app:v1`,
      `docker://${host}/compat/copy:v1`,
    ]);
    const mounted = reg.logs.filter(
      (l) => l.includes("POST /v2/compat/copy/blobs/uploads/?") && l.includes("mount=") && /" 201 /.test(l),
    );
    assert.ok(mounted.length > 0, "skopeo mounted the layer from compat/app");
    const digest = JSON.parse(
      (await skopeo(["inspect", "--tls-verify=false", `docker://${host}/compat/copy:v1`])).stdout,
    ).Digest;
    assert.equal(digest, image.manifestDigest);
  });

  test("Docker schema 2 (converted by skopeo) round-trips", async () => {
    await skopeo([
      "copy",
      "--dest-tls-verify=false",
      "--format",
      "v2s2",
      `oci:${source}:v1`,
      `docker://${host}/compat/docker:v2s2`,
    ]);
    const raw = JSON.parse(
      (await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${host}/compat/docker:v2s2`]))
        .stdout,
    ) as { mediaType: string };
    assert.equal(raw.mediaType, "application/vnd.docker.distribution.manifest.v2+json");
    const res = await fetch(`${reg.url}/v2/compat/docker/manifests/v2s2`, { method: "HEAD" });
    assert.equal(res.headers.get("content-type"), "application/vnd.docker.distribution.manifest.v2+json");
    const out = join(work, "pulled-docker");
    await skopeo(["copy", "--src-tls-verify=false", `docker://${host}/compat/docker:v2s2`, `oci:${out}:v1`]);
  });

  test("a multi-arch index pushes and pulls with all platforms", async () => {
    await skopeo([
      "copy",
      "--dest-tls-verify=false",
      "--multi-arch",
      "all",
      `oci:${indexSource}:multi`,
      `docker://${host}/compat/multi:latest`,
    ]);
    const raw = (
      await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${host}/compat/multi:latest`])
    ).stdout;
    assert.equal(raw, index.manifest);
    const out = join(work, "pulled-multi");
    await skopeo([
      "copy",
      "--src-tls-verify=false",
      "--multi-arch",
      "all",
      `docker://${host}/compat/multi:latest`,
      `oci:${out}:multi`,
    ]);
    assert.deepEqual(await layoutBlobs(out), await layoutBlobs(indexSource));
  });

  test("skopeo delete removes the manifest", async () => {
    await skopeo(["copy", "--dest-tls-verify=false", `oci:${source}:v1`, `docker://${host}/compat/del:v1`]);
    await skopeo(["delete", "--tls-verify=false", `docker://${host}/compat/del:v1`]);
    const res = await fetch(`${reg.url}/v2/compat/del/manifests/${image.manifestDigest}`, { method: "HEAD" });
    assert.equal(res.status, 404);
  });
});

describe("skopeo over plain HTTP with htpasswd", { skip: !haveSkopeo && "skopeo is not installed" }, () => {
  let reg: TestRegistry;
  let host: string;
  before(async () => {
    const dir = join(work, "plain-htpasswd");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "htpasswd"), `gail:${bcrypt.hashSync("gail-pw", 5)}\n`);
    reg = await startTestRegistry({ htpasswd: join(dir, "htpasswd") });
    host = new URL(reg.url).host;
  });
  after(async () => {
    await reg?.close();
  });

  test("push and pull by tag and digest with credentials; refused without", async () => {
    const dest = `docker://${host}/plain/app:v1`;
    await skopeo([
      "copy",
      "--dest-tls-verify=false",
      "--dest-creds",
      "gail:gail-pw",
      `oci:${source}:v1`,
      dest,
    ]);
    for (const [ref, out] of [
      [dest, "pulled-plain-auth-tag"],
      [`docker://${host}/plain/app@${image.manifestDigest}`, "pulled-plain-auth-digest"],
    ] as const) {
      await skopeo([
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        "gail:gail-pw",
        ref,
        `oci:${join(work, out)}:v1`,
      ]);
      assert.deepEqual(await layoutBlobs(join(work, out)), await layoutBlobs(source));
    }
    assert.match(
      await skopeoFails(["inspect", "--tls-verify=false", "--creds", "gail:wrong", dest]),
      /unauthorized|authentication required|401/i,
    );
    assert.equal((await fetch(`${reg.url}/v2/_catalog`)).status, 401);
    assert.match(
      await skopeoFails([
        "copy",
        "--dest-tls-verify=false",
        "--dest-no-creds",
        `oci:${source}:v1`,
        `docker://${host}/plain/anon:v1`,
      ]),
      /unauthorized|authentication required|401/i,
    );
  });
});

describe("skopeo over TLS without auth", { skip: !haveSkopeo && "skopeo is not installed" }, () => {
  let reg: TestRegistry;
  let host: string;
  let certDir: string;
  before(async () => {
    const dir = join(work, "tls-open");
    await mkdir(dir, { recursive: true });
    const { cert, key } = await makeSelfSignedCert(dir);
    certDir = join(dir, "certs.d");
    await mkdir(certDir);
    await copyFile(cert, join(certDir, "ca.crt"));
    reg = await startTestRegistry({ tls: { cert, key } });
    host = new URL(reg.url).host;
  });
  after(async () => {
    await reg?.close();
  });

  test("push and pull by tag and digest over verified TLS", async () => {
    const dest = `docker://${host}/tls/app:v1`;
    await skopeo(["copy", "--dest-cert-dir", certDir, `oci:${source}:v1`, dest]);
    for (const [ref, out] of [
      [dest, "pulled-tls-open-tag"],
      [`docker://${host}/tls/app@${image.manifestDigest}`, "pulled-tls-open-digest"],
    ] as const) {
      await skopeo(["copy", "--src-cert-dir", certDir, ref, `oci:${join(work, out)}:v1`]);
      assert.deepEqual(await layoutBlobs(join(work, out)), await layoutBlobs(source));
    }
    // Without the CA, verification fails.
    assert.match(await skopeoFails(["inspect", dest]), /certificate/i);
  });
});

describe("skopeo over TLS with htpasswd", { skip: !haveSkopeo && "skopeo is not installed" }, () => {
  let reg: TestRegistry;
  let host: string;
  let certDir: string;
  before(async () => {
    const dir = join(work, "tls");
    await mkdir(dir, { recursive: true });
    const { cert, key } = await makeSelfSignedCert(dir);
    certDir = join(dir, "certs.d");
    await mkdir(certDir);
    await copyFile(cert, join(certDir, "ca.crt"));
    await writeFile(join(dir, "htpasswd"), `dave:${bcrypt.hashSync("dave-pw", 5)}\n`);
    reg = await startTestRegistry({ tls: { cert, key }, htpasswd: join(dir, "htpasswd") });
    host = new URL(reg.url).host;
  });
  after(async () => {
    await reg?.close();
  });

  test("push and pull with credentials, verified TLS; refused without", async () => {
    const dest = `docker://${host}/secure/app:v1`;
    await skopeo([
      "copy",
      "--dest-cert-dir",
      certDir,
      "--dest-creds",
      "dave:dave-pw",
      `oci:${source}:v1`,
      dest,
    ]);
    const out = join(work, "pulled-tls");
    await skopeo(["copy", "--src-cert-dir", certDir, "--src-creds", "dave:dave-pw", dest, `oci:${out}:v1`]);
    assert.deepEqual(await layoutBlobs(out), await layoutBlobs(source));
    const byDigest = join(work, "pulled-tls-digest");
    await skopeo([
      "copy",
      "--src-cert-dir",
      certDir,
      "--src-creds",
      "dave:dave-pw",
      `docker://${host}/secure/app@${image.manifestDigest}`,
      `oci:${byDigest}:v1`,
    ]);
    assert.deepEqual(await layoutBlobs(byDigest), await layoutBlobs(source));

    assert.match(
      await skopeoFails(["inspect", "--cert-dir", certDir, "--creds", "dave:wrong", dest]),
      /unauthorized|authentication required|401/i,
    );
    assert.match(
      await skopeoFails(["inspect", "--cert-dir", certDir, "--no-creds", dest]),
      /unauthorized|401/i,
    );
    // Without the CA, TLS verification fails.
    assert.match(await skopeoFails(["inspect", "--creds", "dave:dave-pw", dest]), /certificate/i);
  });
});

describe("skopeo with Bearer token auth", { skip: !haveSkopeo && "skopeo is not installed" }, () => {
  let reg: TestRegistry;
  let host: string;
  before(async () => {
    const dir = join(work, "token");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "htpasswd"),
      `erin:${bcrypt.hashSync("erin-pw", 5)}\nfrank:${bcrypt.hashSync("frank-pw", 5)}\n`,
    );
    const port = await freePort();
    reg = await startTestRegistry({
      addr: `127.0.0.1:${port}`,
      htpasswd: join(dir, "htpasswd"),
      token: {
        realm: `http://127.0.0.1:${port}/auth/token`,
        service: "wharf-registry",
        issuer: "wharf-registry",
        expiresInSeconds: 300,
      },
      access: [
        { account: "erin", name: "**", actions: ["*"] },
        { account: "frank", name: "erin/**", actions: ["pull"] },
      ],
    });
    host = new URL(reg.url).host;
  });
  after(async () => {
    await reg?.close();
  });

  test("tokens scoped per repository and action", async () => {
    const dest = `docker://${host}/erin/app:v1`;
    await skopeo([
      "copy",
      "--dest-tls-verify=false",
      "--dest-creds",
      "erin:erin-pw",
      `oci:${source}:v1`,
      dest,
    ]);
    assert.ok(reg.logs.some((l) => l.includes("GET /auth/token?") && l.includes(" erin ")));
    const out = join(work, "pulled-token");
    await skopeo(["copy", "--src-tls-verify=false", "--src-creds", "frank:frank-pw", dest, `oci:${out}:v1`]);
    assert.deepEqual(await layoutBlobs(out), await layoutBlobs(source));
    // frank may pull but not push.
    const err = await skopeoFails([
      "copy",
      "--dest-tls-verify=false",
      "--dest-creds",
      "frank:frank-pw",
      `oci:${source}:v1`,
      `docker://${host}/erin/app:frank`,
    ]);
    assert.match(err, /unauthorized|denied|authentication required/i);
    assert.equal((await fetch(`${reg.url}/v2/erin/app/manifests/frank`, { method: "HEAD" })).status, 401);
  });
});

describe("skopeo with Bearer token auth over TLS", { skip: !haveSkopeo && "skopeo is not installed" }, () => {
  let reg: TestRegistry;
  let host: string;
  let certDir: string;
  before(async () => {
    const dir = join(work, "token-tls");
    await mkdir(dir, { recursive: true });
    const { cert, key } = await makeSelfSignedCert(dir);
    certDir = join(dir, "certs.d");
    await mkdir(certDir);
    await copyFile(cert, join(certDir, "ca.crt"));
    await writeFile(join(dir, "htpasswd"), `hana:${bcrypt.hashSync("hana-pw", 5)}\n`);
    const port = await freePort();
    reg = await startTestRegistry({
      addr: `127.0.0.1:${port}`,
      tls: { cert, key },
      htpasswd: join(dir, "htpasswd"),
      token: {
        realm: `https://127.0.0.1:${port}/auth/token`,
        service: "wharf-registry",
        issuer: "wharf-registry",
        expiresInSeconds: 300,
      },
      access: [{ account: "hana", name: "hana/**", actions: ["*"] }],
    });
    host = new URL(reg.url).host;
  });
  after(async () => {
    await reg?.close();
  });

  test("push by tag, pull by digest; a repository outside the token's scope is refused", async () => {
    await skopeo([
      "copy",
      "--dest-cert-dir",
      certDir,
      "--dest-creds",
      "hana:hana-pw",
      `oci:${source}:v1`,
      `docker://${host}/hana/app:v1`,
    ]);
    const out = join(work, "pulled-token-tls");
    await skopeo([
      "copy",
      "--src-cert-dir",
      certDir,
      "--src-creds",
      "hana:hana-pw",
      `docker://${host}/hana/app@${image.manifestDigest}`,
      `oci:${out}:v1`,
    ]);
    assert.deepEqual(await layoutBlobs(out), await layoutBlobs(source));
    assert.ok(reg.logs.some((l) => l.includes("GET /auth/token?") && l.includes(" hana ")));
    const err = await skopeoFails([
      "copy",
      "--dest-cert-dir",
      certDir,
      "--dest-creds",
      "hana:hana-pw",
      `oci:${source}:v1`,
      `docker://${host}/other/app:v1`,
    ]);
    assert.match(err, /unauthorized|denied|authentication required/i);
  });
});
