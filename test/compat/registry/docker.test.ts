// The real docker CLI pulling from and pushing to `wharf registry serve`, through wharfd — or,
// with WHARF_TEST_SOCKET, through a reference dockerd (Docker treats 127.0.0.0/8 registries as
// insecure by default, so plain HTTP needs no daemon configuration). skopeo (another client no
// one here wrote) seeds OCI and Docker schema 2 manifests and a multi-arch index; docker pulls
// them by tag and by digest, pushes an image back, and logs in to a Bearer-token registry whose
// tokens are scoped per repository and action. `docker manifest create/push` (client side) pushes
// an OCI index and a Docker manifest list.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { busyboxTar } from "../../helpers/images.ts";
import { type Run, runAsync } from "../../helpers/run.ts";
import { writeHtpasswd } from "../../integration/distribution/helpers.ts";
import { startTestRegistry, type TestRegistry } from "../../integration/registry/helpers.ts";
import { buildImageLayout, buildIndexLayout, type LayoutImage } from "./oci-layout.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const hasSkopeo = spawnSync("skopeo", ["--version"]).status === 0;
const skip = !hasDocker ? "docker CLI missing" : !hasSkopeo ? "skopeo is not installed" : false;
const suffix = `${process.pid}`;
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

let d: TestDaemon;
let work: string;
const cleanup: string[] = [];

/** Runs a child asynchronously: the registry lives in this process and must keep answering. */
function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv, input = ""): Promise<Run> {
  return runAsync(cmd, args, { env, input });
}

const docker = (args: string[], input?: string) =>
  exec("docker", ["-H", `unix://${d.socket}`, ...args], { DOCKER_CONFIG: join(work, "docker") }, input);

async function dockerOk(args: string[], input?: string): Promise<string> {
  const r = await docker(args, input);
  assert.equal(r.code, 0, `docker ${args.join(" ")}: ${r.err}`);
  return r.out;
}

// A private HOME and auth file: no credentials from the machine, none left behind.
async function skopeoOk(args: string[]): Promise<void> {
  const env = { HOME: work, XDG_RUNTIME_DIR: work, REGISTRY_AUTH_FILE: join(work, "skopeo-auth.json") };
  const r = await exec("skopeo", ["--command-timeout", "60s", ...args], env);
  assert.equal(r.code, 0, `skopeo ${args.join(" ")}: ${r.err}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `docker pull` of a reference, remembered for removal. */
async function pull(ref: string): Promise<string> {
  cleanup.push(ref);
  return dockerOk(["pull", ref]);
}

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), "wharf-registry-docker-"));
  d = await startDaemon();
});
after(async () => {
  if (skip) return;
  for (const ref of cleanup) await docker(["rmi", "-f", ref]);
  await d?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("docker against a plain-HTTP registry", { skip }, () => {
  let reg: TestRegistry;
  let host: string;
  let image: LayoutImage;
  let index: LayoutImage;
  before(async () => {
    reg = await startTestRegistry();
    host = new URL(reg.url).host;
    image = await buildImageLayout(join(work, "layout"), "v1");
    index = await buildIndexLayout(join(work, "index-layout"), "multi");
    const dest = (path: string) => `docker://${host}/${path}`;
    await skopeoOk([
      "copy",
      "--dest-tls-verify=false",
      `oci:${join(work, "layout")}:v1`,
      dest("seed/oci:v1"),
    ]);
    await skopeoOk([
      "copy",
      "--dest-tls-verify=false",
      "--format",
      "v2s2",
      `oci:${join(work, "layout")}:v1`,
      dest("seed/docker:v1"),
    ]);
    await skopeoOk([
      "copy",
      "--dest-tls-verify=false",
      "--multi-arch",
      "all",
      `oci:${join(work, "index-layout")}:multi`,
      dest("seed/multi:latest"),
    ]);
  });
  after(async () => {
    await reg?.close();
  });

  test("pulls OCI and Docker schema 2 manifests by tag and by digest", async () => {
    const oci = await pull(`${host}/seed/oci:v1`);
    assert.match(oci, /^v1: Pulling from seed\/oci$/m);
    assert.match(oci, new RegExp(`^Digest: ${image.manifestDigest}$`, "m"));
    assert.match(oci, /^Status: Downloaded newer image for /m);
    const repoDigests = await dockerOk([
      "image",
      "inspect",
      "--format",
      "{{json .RepoDigests}}",
      `${host}/seed/oci:v1`,
    ]);
    assert.ok(repoDigests.includes(`${host}/seed/oci@${image.manifestDigest}`), repoDigests);

    const v2s2 = await pull(`${host}/seed/docker:v1`);
    assert.match(v2s2, /^Status: Downloaded newer image for /m);
    const digest = (await fetch(`${reg.url}/v2/seed/docker/manifests/v1`, { method: "HEAD" })).headers.get(
      "docker-content-digest",
    );
    assert.ok(digest);
    assert.match(v2s2, new RegExp(`^Digest: ${digest}$`, "m"));

    const byDigest = await pull(`${host}/seed/oci@${image.manifestDigest}`);
    assert.match(byDigest, new RegExp(`^Digest: ${image.manifestDigest}$`, "m"));
    // The same image (same config) whichever way it arrived.
    const ids = await Promise.all(
      [`${host}/seed/oci:v1`, `${host}/seed/docker:v1`, `${host}/seed/oci@${image.manifestDigest}`].map((r) =>
        dockerOk(["image", "inspect", "--format", "{{.Id}}", r]),
      ),
    );
    assert.equal(new Set(ids).size, 1, ids.join(""));
  });

  test("pulls this platform out of a multi-arch index", async () => {
    const out = await pull(`${host}/seed/multi:latest`);
    assert.match(out, new RegExp(`^Digest: ${index.manifestDigest}$`, "m"));
    const arch = await dockerOk([
      "image",
      "inspect",
      "--format",
      "{{.Architecture}}",
      `${host}/seed/multi:latest`,
    ]);
    assert.equal(arch.trim(), "amd64");
  });

  test("docker manifest create + push: an OCI index and a Docker manifest list, images mounted across", async () => {
    // A client-side command: the docker CLI itself talks to the registry here.
    const createAndPush = async (repo: string, children: string[]) => {
      const list = `${host}/${repo}:v1`;
      await dockerOk(["manifest", "create", "--insecure", list, ...children.map((c) => `${host}/${c}`)]);
      const out = await dockerOk(["manifest", "push", "--purge", "--insecure", list]);
      const digest = out.trim().split("\n").pop()!;
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      const res = await fetch(`${reg.url}/v2/${repo}/manifests/v1`, {
        headers: { Accept: `${OCI_INDEX}, ${DOCKER_LIST}` },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("docker-content-digest"), digest);
      const body = (await res.json()) as {
        mediaType: string;
        manifests: { digest: string; platform: { architecture: string } }[];
      };
      // Served with the media type it was pushed with.
      assert.equal(res.headers.get("content-type"), body.mediaType);
      // The platform images now live in the list's repository too (mounted or copied).
      for (const m of body.manifests) {
        const child = await fetch(`${reg.url}/v2/${repo}/manifests/${m.digest}`, { method: "HEAD" });
        assert.equal(child.status, 200, m.digest);
      }
      assert.match(await pull(list), new RegExp(`^Digest: ${digest}$`, "m"));
      return body;
    };

    // OCI children make an OCI index.
    const children = (JSON.parse(index.manifest) as { manifests: { digest: string }[] }).manifests;
    const oci = await createAndPush(
      `compat/index-${suffix}`,
      children.map((m) => `seed/multi@${m.digest}`),
    );
    assert.equal(oci.mediaType, OCI_INDEX);
    assert.deepEqual(oci.manifests.map((m) => m.platform.architecture).sort(), ["amd64", "arm64"]);

    // A Docker schema 2 child makes a Docker manifest list.
    const v2s2 = (await fetch(`${reg.url}/v2/seed/docker/manifests/v1`, { method: "HEAD" })).headers.get(
      "docker-content-digest",
    );
    const list = await createAndPush(`compat/list-${suffix}`, [`seed/docker@${v2s2}`]);
    assert.equal(list.mediaType, DOCKER_LIST);
    assert.deepEqual(
      list.manifests.map((m) => m.digest),
      [v2s2],
    );
  });

  test("a missing tag and a missing repository fail with the registry's error", async () => {
    const cases = [
      [
        `${host}/seed/oci:nope`,
        `manifest for ${host}/seed/oci:nope not found: manifest unknown: manifest unknown to registry`,
      ],
      [
        `${host}/nothing/here:v1`,
        `repository ${host}/nothing/here not found: name unknown: repository name not known to registry`,
      ],
    ];
    for (const [ref, message] of cases) {
      const r = await docker(["pull", ref!]);
      assert.equal(r.code, 1);
      assert.equal(r.err, `Error response from daemon: ${message}\n`);
    }
  });

  test("push an image, pull it back by digest and run it", async () => {
    const local = `reg-docker-bb-${suffix}:1`;
    cleanup.push(local);
    await dockerOk(["import", "-c", 'CMD ["sh"]', await busyboxTar(), local]);
    const name = `${host}/pushed/bb-${suffix}:1`;
    cleanup.push(name);
    await dockerOk(["tag", local, name]);
    const push = await dockerOk(["push", name]);
    const pushed = push.match(/^1: digest: (sha256:[a-f0-9]{64}) size: (\d+)$/m);
    assert.ok(pushed, push);
    const head = await fetch(`${reg.url}/v2/pushed/bb-${suffix}/manifests/1`, {
      method: "HEAD",
      headers: { Accept: DOCKER_MANIFEST },
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("docker-content-digest"), pushed[1]);
    assert.equal(head.headers.get("content-length"), pushed[2]);
    // A second push finds every layer already there.
    assert.match(await dockerOk(["push", name]), /: Layer already exists$/m);

    await dockerOk(["rmi", name, local]);
    const byDigest = `${host}/pushed/bb-${suffix}@${pushed[1]}`;
    await pull(byDigest);
    assert.equal(
      await dockerOk(["run", "--rm", byDigest, "echo", "from the registry"]),
      "from the registry\n",
    );
  });

  test("rmi of tags and digest references untags as Docker does", async () => {
    const local = `reg-rmi-bb-${suffix}:1`;
    const repo = `${host}/rmi/bb-${suffix}`;
    cleanup.push(local, `${repo}:1`);
    await dockerOk(["import", "-c", 'CMD ["sh"]', await busyboxTar(), local]);
    await dockerOk(["tag", local, `${repo}:1`]);
    const digest = (await dockerOk(["push", `${repo}:1`])).match(/digest: (sha256:[0-9a-f]{64})/)![1]!;
    await dockerOk(["rmi", local]);
    // "Deleted:" lines list layers too in Docker; the untag lines are what must agree.
    const untagged = async (ref: string) =>
      (await dockerOk(["rmi", ref])).split("\n").filter((l) => l.startsWith("Untagged: "));
    const digests = async () =>
      (await dockerOk(["images", "--digests", "--format", "{{.Tag}} {{.Digest}}", repo])).trim();

    // Pushing recorded the digest: removing the last tag of the repository drops it too.
    assert.deepEqual(await untagged(`${repo}:1`), [`Untagged: ${repo}:1`, `Untagged: ${repo}@${digest}`]);
    // Pulled by tag: the digest reference goes alone, the tag keeps the image.
    await pull(`${repo}:1`);
    assert.equal(await digests(), `1 ${digest}`);
    assert.deepEqual(await untagged(`${repo}@${digest}`), [`Untagged: ${repo}@${digest}`]);
    assert.equal(await digests(), "1 <none>");
    assert.deepEqual(await untagged(`${repo}:1`), [`Untagged: ${repo}:1`]);
    // Pulled by digest only: removing the digest reference deletes the image.
    await pull(`${repo}@${digest}`);
    assert.equal(await digests(), `<none> ${digest}`);
    const removed = await dockerOk(["rmi", `${repo}@${digest}`]);
    assert.match(removed, new RegExp(`^Untagged: ${repo}@${digest}\nDeleted: sha256:`));
    assert.equal(await digests(), "");
  });
});

describe("docker against a Bearer-token registry", { skip }, () => {
  let reg: TestRegistry;
  let host: string;
  before(async () => {
    const users = join(work, "htpasswd");
    await writeHtpasswd(users, { erin: "erin-pw", frank: "frank-pw" });
    const port = await freePort();
    reg = await startTestRegistry({
      addr: `127.0.0.1:${port}`,
      htpasswd: users,
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
    await docker(["logout", host]);
    await reg?.close();
  });

  test("login, push and pull with tokens scoped per repository and action", async () => {
    const bad = await docker(["login", host, "-u", "erin", "--password-stdin"], "wrong\n");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /unauthorized|401/i);

    await dockerOk(["login", host, "-u", "erin", "--password-stdin"], "erin-pw\n");
    const local = `reg-token-bb-${suffix}:1`;
    cleanup.push(local);
    await dockerOk(["import", "-c", 'CMD ["sh"]', await busyboxTar(), local]);
    const name = `${host}/erin/bb-${suffix}:1`;
    cleanup.push(name);
    await dockerOk(["tag", local, name]);
    await dockerOk(["push", name]);
    assert.ok(
      reg.logs.some((l) => l.includes("GET /auth/token?") && l.includes(" erin ")),
      "the daemon fetched a token for erin",
    );

    // frank may pull erin's repositories but not push to them.
    await dockerOk(["logout", host]);
    await dockerOk(["login", host, "-u", "frank", "--password-stdin"], "frank-pw\n");
    await dockerOk(["rmi", name]);
    await pull(name);
    const denied = await docker(["push", name]);
    assert.equal(denied.code, 1);
    // Docker reads the challenge's error=insufficient_scope as DENIED, then the body's error.
    assert.equal(
      denied.err,
      "errors:\ndenied: requested access to the resource is denied\nunauthorized: insufficient scope\n\n",
    );

    // Anonymous clients get nothing.
    await dockerOk(["logout", host]);
    await dockerOk(["rmi", name]);
    const anonymous = await docker(["pull", name]);
    assert.equal(anonymous.code, 1);
    assert.equal(
      anonymous.err,
      `Error response from daemon: pull access denied for ${host}/erin/bb-${suffix}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n`,
    );
  });
});
