// Pull, push and login through wharfd's API against `wharf registry serve` on 127.0.0.1:
// Docker's progress stream, up-to-date pulls, errors before and inside the stream, auth via
// X-Registry-Auth and POST /auth, corrupt blobs leaving nothing behind.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import { startTestRegistry, type TestRegistry, tempDir } from "../registry/helpers.ts";
import { freePort, startFaultProxy, writeHtpasswd } from "./helpers.ts";

interface Msg {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: { Tag: string; Digest: string; Size: number };
  error?: string;
  errorDetail?: { message: string };
}

const xauth = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
const lines = (text: string): Msg[] =>
  text
    .split("\r\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Msg);

let daemon: TestDaemon;
let reg: TestRegistry;
let host: string;

before(async () => {
  daemon = await startDaemon();
  reg = await startTestRegistry();
  host = new URL(reg.url).host;
  await importBusybox(daemon.api, "pp/busybox:1");
});
after(async () => {
  try {
    await daemon?.stop();
  } finally {
    await reg?.close(); // an open server in this process would keep the test file alive
  }
});

async function push(name: string, tag: string | undefined, auth: object = {}) {
  const q = tag ? `?tag=${encodeURIComponent(tag)}` : "";
  const res = await daemon.api.call("POST", `/images/${name}/push${q}`, undefined, {
    headers: { "X-Registry-Auth": xauth(auth) },
  });
  assert.equal(res.status, 200);
  assert.ok(res.body.toString().endsWith("\r\n"));
  return lines(res.text());
}

async function pull(fromImage: string, tag: string | undefined, auth: object = {}) {
  const q = new URLSearchParams({ fromImage, ...(tag ? { tag } : {}) });
  return daemon.api.call("POST", `/images/create?${q}`, undefined, {
    headers: { "X-Registry-Auth": xauth(auth) },
  });
}

describe("through wharfd", () => {
  test("push, then pull after rmi: Docker's progress lines", async () => {
    const name = `${host}/pp/busybox`;
    await daemon.api.ok("POST", `/images/pp/busybox:1/tag?repo=${encodeURIComponent(name)}&tag=1`);
    const pushed = await push(name, "1");
    assert.equal(pushed[0]?.status, `The push refers to repository [${name}]`);
    assert.ok(
      pushed.some((m) => m.status === "Pushed" && /^[a-f0-9]{12}$/.test(m.id ?? "")),
      JSON.stringify(pushed),
    );
    const final = pushed.at(-1);
    assert.equal(final?.aux?.Tag, "1");
    assert.match(final?.aux?.Digest ?? "", /^sha256:[a-f0-9]{64}$/);
    assert.equal(pushed.at(-2)?.status, `1: digest: ${final?.aux?.Digest} size: ${final?.aux?.Size}`);
    const afterPush = await daemon.api.ok<{ RepoDigests: string[] }>("GET", `/images/${name}:1/json`);
    assert.deepEqual(afterPush.RepoDigests, [`${name}@${final?.aux?.Digest}`]);
    // A second push finds every layer there.
    const again = await push(name, "1");
    assert.ok(again.some((m) => m.status === "Layer already exists"));
    assert.ok(!again.some((m) => m.status === "Pushed"));

    const before = (await daemon.api.ok<{ Id: string }>("GET", "/images/pp/busybox:1/json")).Id;
    await daemon.api.ok("DELETE", `/images/${name}:1`);
    await daemon.api.ok("DELETE", "/images/pp/busybox:1");
    const res = await pull(name, "1");
    assert.equal(res.status, 200);
    const msgs = lines(res.text());
    assert.deepEqual(msgs[0], { status: `Pulling from pp/busybox`, id: "1" });
    for (const s of ["Pulling fs layer", "Downloading", "Download complete", "Extracting", "Pull complete"]) {
      assert.ok(
        msgs.some((m) => m.status === s),
        `${s} in ${JSON.stringify(msgs)}`,
      );
    }
    const dl = msgs.find((m) => m.status === "Downloading");
    assert.match(dl?.progress ?? "", /^\[=*>\s*\]\s+\S+\/\S+$/);
    assert.equal(msgs.at(-2)?.status, `Digest: ${final?.aux?.Digest}`);
    assert.equal(msgs.at(-1)?.status, `Status: Downloaded newer image for ${name}:1`);
    const inspect = await daemon.api.ok<{ Id: string; RepoDigests: string[] }>(
      "GET",
      `/images/${name}:1/json`,
    );
    assert.equal(inspect.Id, before);
    assert.deepEqual(inspect.RepoDigests, [`${name}@${final?.aux?.Digest}`]);
    // The pulled image runs.
    const id = await daemon.api.run({ Image: `${name}:1`, Cmd: ["sh", "-c", "echo pulled-ok"] });
    assert.equal(await daemon.api.waitExit(id), 0);
    await daemon.api.ok("DELETE", `/containers/${id}?force=1`);

    const upToDate = lines((await pull(name, "1")).text());
    assert.equal(upToDate.at(-1)?.status, `Status: Image is up to date for ${name}:1`);
    assert.ok(!upToDate.some((m) => m.status === "Downloading"));

    // By digest.
    const byDigest = lines((await pull(name, final?.aux?.Digest)).text());
    assert.deepEqual(byDigest[0], { status: "Pulling from pp/busybox", id: `${name}@${final?.aux?.Digest}` });
    assert.equal(byDigest.at(-1)?.status, `Status: Image is up to date for ${name}@${final?.aux?.Digest}`);
    await daemon.api.ok("POST", `/images/${name}:1/tag?repo=pp/busybox&tag=1`);
    await daemon.api.ok("DELETE", `/images/${name}:1`);
  });

  test("push --all-tags and pull --all-tags (no tag given)", async () => {
    const name = `${host}/pp/all`;
    for (const t of ["a", "b"])
      await daemon.api.ok("POST", `/images/pp/busybox:1/tag?repo=${encodeURIComponent(name)}&tag=${t}`);
    const pushed = await push(name, undefined);
    assert.deepEqual(
      pushed.filter((m) => m.aux).map((m) => m.aux?.Tag),
      ["a", "b"],
    );
    for (const t of ["a", "b"]) await daemon.api.ok("DELETE", `/images/${name}:${t}`);
    const res = await pull(name, undefined);
    assert.equal(res.status, 200);
    const msgs = lines(res.text());
    assert.deepEqual(
      msgs.filter((m) => m.status?.startsWith("Pulling from")).map((m) => m.id),
      ["a", "b"],
    );
    assert.equal(msgs.at(-1)?.status, `Status: Downloaded newer image for ${name}`);
    for (const t of ["a", "b"]) await daemon.api.ok("DELETE", `/images/${name}:${t}`);
  });

  test("GET /distribution/{name}/json: descriptor and platform", async () => {
    const name = `${host}/pp/dist`;
    await daemon.api.ok("POST", `/images/pp/busybox:1/tag?repo=${encodeURIComponent(name)}&tag=1`);
    const pushed = await push(name, "1");
    const res = await daemon.api.call("GET", `/distribution/${name}:1/json`);
    assert.equal(res.status, 200, res.text());
    const body = res.json<{
      Descriptor: { digest: string; size: number };
      Platforms: Array<{ os: string }>;
    }>();
    assert.equal(body.Descriptor.digest, pushed.at(-1)?.aux?.Digest);
    assert.equal(body.Descriptor.size, pushed.at(-1)?.aux?.Size);
    assert.equal(body.Platforms[0]?.os, "linux");
    assert.equal((await daemon.api.call("GET", `/distribution/${name}:nope/json`)).status, 404);
    await daemon.api.ok("DELETE", `/images/${name}:1`);
  });

  test("unknown tag: 404 before streaming with Docker's text; bad reference: 400", async () => {
    let res = await pull(`${host}/pp/busybox`, "nope");
    assert.equal(res.status, 404);
    // The cause is the registry's own text ("manifest unknown: manifest unknown" from distribution).
    assert.match(
      res.json<{ message: string }>().message,
      new RegExp(`^manifest for ${host}/pp/busybox:nope not found: manifest unknown: manifest unknown`),
    );
    res = await pull(`${host}/Bad/Name`, "1");
    assert.equal(res.status, 400);
    res = await pull(`127.0.0.1:1/x`, "1");
    assert.equal(res.status, 500);
    assert.match(res.json<{ message: string }>().message, /connection refused/);
  });

  test("push of a missing image fails inside a 200 stream", async () => {
    const msgs = await push(`${host}/pp/none`, "1");
    assert.equal(
      msgs.at(-1)?.errorDetail?.message,
      `An image does not exist locally with the tag: ${host}/pp/none`,
    );
    assert.equal(msgs.at(-1)?.error, msgs.at(-1)?.errorDetail?.message);
  });

  test("a corrupt layer fails the pull inside the stream and leaves no image or blob", async () => {
    const proxy = await startFaultProxy(reg.url);
    try {
      const name = `${proxy.host}/pp/corrupt`;
      await daemon.api.ok("POST", `/images/pp/busybox:1/tag?repo=${encodeURIComponent(name)}&tag=1`);
      await push(name, "1");
      await daemon.api.ok("DELETE", `/images/${name}:1`);
      // Without busybox the store lacks the layer, so the pull must download it.
      await daemon.api.ok("DELETE", "/images/pp/busybox:1");
      const blobsBefore = daemon.owned
        ? readdirSync(join(daemon.dataRoot, "content/blobs/sha256")).sort()
        : [];
      proxy.nextFault = "corrupt";
      proxy.faultMinBytes = 64 * 1024;
      const res = await pull(name, "1");
      assert.equal(res.status, 200);
      const msgs = lines(res.text());
      assert.match(msgs.at(-1)?.errorDetail?.message ?? "", /verification failed/, JSON.stringify(msgs));
      assert.equal((await daemon.api.call("GET", `/images/${name}:1/json`)).status, 404);
      if (daemon.owned) {
        assert.deepEqual(readdirSync(join(daemon.dataRoot, "content/blobs/sha256")).sort(), blobsBefore);
        assert.deepEqual(readdirSync(join(daemon.dataRoot, "content/ingest")), []);
      }
      // Then a clean pull works.
      const ok = lines((await pull(name, "1")).text());
      assert.equal(ok.at(-1)?.status, `Status: Downloaded newer image for ${name}:1`);
      await daemon.api.ok("POST", `/images/${name}:1/tag?repo=pp/busybox&tag=1`);
      await daemon.api.ok("DELETE", `/images/${name}:1`);
    } finally {
      await proxy.close();
    }
  });
});

describe("with htpasswd auth", () => {
  let authReg: TestRegistry;
  let authHost: string;
  let dir: string;
  before(async () => {
    dir = await tempDir();
    await writeHtpasswd(join(dir, "htpasswd"), { alice: "alice-pw" });
    authReg = await startTestRegistry({ htpasswd: join(dir, "htpasswd") });
    authHost = new URL(authReg.url).host;
  });
  after(async () => {
    await authReg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("POST /auth: Login Succeeded, or 401 with Docker's message", async () => {
    let res = await daemon.api.call("POST", "/auth", {
      username: "alice",
      password: "alice-pw",
      serveraddress: authHost,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { IdentityToken: "", Status: "Login Succeeded" });
    res = await daemon.api.call("POST", "/auth", {
      username: "alice",
      password: "wrong",
      serveraddress: authHost,
    });
    assert.equal(res.status, 401);
    assert.equal(
      res.json<{ message: string }>().message,
      `login attempt to http://${authHost}/v2/ failed with status: 401 Unauthorized`,
    );
  });

  test("push and pull need X-Registry-Auth", async () => {
    const name = `${authHost}/alice/bb`;
    await daemon.api.ok("POST", `/images/pp/busybox:1/tag?repo=${encodeURIComponent(name)}&tag=1`);
    const denied = await push(name, "1");
    assert.ok(denied.at(-1)?.errorDetail, JSON.stringify(denied.at(-1)));
    const creds = { username: "alice", password: "alice-pw", serveraddress: authHost };
    const ok = await push(name, "1", creds);
    assert.ok(ok.at(-1)?.aux?.Digest, JSON.stringify(ok.at(-1)));
    await daemon.api.ok("DELETE", `/images/${name}:1`);
    // Docker 20.10 answers these with 500 and the transport's text.
    const anon = await pull(name, "1");
    assert.equal(anon.status, 500);
    assert.match(anon.json<{ message: string }>().message, /: no basic auth credentials$/);
    const wrong = await pull(name, "1", { username: "alice", password: "nope" });
    assert.equal(wrong.status, 500);
    // The cause is the registry's errcode text (distribution: "authentication required").
    assert.match(wrong.json<{ message: string }>().message, /^unauthorized: /);
    const res = await pull(name, "1", creds);
    assert.equal(res.status, 200);
    assert.equal(lines(res.text()).at(-1)?.status, `Status: Downloaded newer image for ${name}:1`);
    await daemon.api.ok("DELETE", `/images/${name}:1`);
  });
});

describe("with token auth (Bearer)", () => {
  let tokenReg: TestRegistry;
  let tokenHost: string;
  let dir: string;
  before(async () => {
    dir = await tempDir();
    await writeHtpasswd(join(dir, "htpasswd"), { alice: "alice-pw" });
    const port = await freePort();
    tokenReg = await startTestRegistry({
      addr: `127.0.0.1:${port}`,
      htpasswd: join(dir, "htpasswd"),
      token: {
        realm: `http://127.0.0.1:${port}/auth/token`,
        service: "t",
        issuer: "t",
        expiresInSeconds: 60,
      },
      access: [{ account: "alice", name: "**", actions: ["*"] }],
    });
    tokenHost = new URL(tokenReg.url).host;
  });
  after(async () => {
    await tokenReg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("POST /auth, push and pull with a token from the realm", async () => {
    const creds = { username: "alice", password: "alice-pw", serveraddress: tokenHost };
    const ok = await daemon.api.call("POST", "/auth", creds);
    assert.equal(ok.status, 200, ok.text());
    const bad = await daemon.api.call("POST", "/auth", { ...creds, password: "x" });
    assert.equal(bad.status, 401);
    const name = `${tokenHost}/alice/tok`;
    await daemon.api.ok("POST", `/images/pp/busybox:1/tag?repo=${encodeURIComponent(name)}&tag=1`);
    const pushed = await push(name, "1", creds);
    assert.ok(pushed.at(-1)?.aux?.Digest, JSON.stringify(pushed.at(-1)));
    await daemon.api.ok("DELETE", `/images/${name}:1`);
    const res = await pull(name, "1", creds);
    assert.equal(lines(res.text()).at(-1)?.status, `Status: Downloaded newer image for ${name}:1`);
    await daemon.api.ok("DELETE", `/images/${name}:1`);
  });
});
