// Access control: htpasswd Basic auth, Bearer tokens from the registry's own token endpoint
// (scoped per repository and action), access rules, and read-only mode.
import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import bcrypt from "bcryptjs";
import {
  errorCodes,
  pushBlob,
  pushImage,
  refusedWrites,
  sha256,
  snapshot,
  startTestRegistry,
  type TestRegistry,
  tempDir,
} from "./helpers.ts";

const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});

let dir: string;
let htpasswd: string;

before(async () => {
  dir = await tempDir();
  htpasswd = join(dir, "htpasswd");
  // Apache's htpasswd -B writes "$2y$"; bcryptjs writes "$2b$": accept both.
  const alice = bcrypt.hashSync("alice-pw", 4).replace(/^\$2b\$/, "$2y$");
  const bob = bcrypt.hashSync("bob-pw", 4);
  await writeFile(htpasswd, `# users\nalice:${alice}\nbob:${bob}\n`);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("htpasswd", () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry({ htpasswd });
  });
  after(async () => {
    await reg?.close();
  });

  test("requests without valid credentials get 401 with a Basic challenge", async () => {
    let res = await fetch(`${reg.url}/v2/`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm="wharf-registry"/);
    assert.equal(res.headers.get("docker-distribution-api-version"), "registry/2.0");
    assert.deepEqual(await errorCodes(res), ["UNAUTHORIZED"]);
    res = await fetch(`${reg.url}/v2/`, { headers: basic("alice", "wrong") });
    assert.equal(res.status, 401);
    await res.text();
    res = await fetch(`${reg.url}/v2/`, { headers: basic("mallory", "alice-pw") });
    assert.equal(res.status, 401);
    await res.text();
    res = await fetch(`${reg.url}/v2/app/tags/list`);
    assert.equal(res.status, 401);
    await res.text();
  });

  test("valid users push and pull", async () => {
    assert.equal((await fetch(`${reg.url}/v2/`, { headers: basic("alice", "alice-pw") })).status, 200);
    const image = await pushImage(reg.url, "team/app", "v1", { headers: basic("bob", "bob-pw") });
    const res = await fetch(`${reg.url}/v2/team/app/manifests/v1`, { headers: basic("alice", "alice-pw") });
    assert.equal(await res.text(), image.manifest);
    const log = reg.logs.find((l) => l.includes("PUT /v2/team/app/manifests/v1"));
    assert.match(log ?? "", / bob "PUT /);
  });

  test("writes without valid credentials get 401 and change nothing on disk", async () => {
    await pushImage(reg.url, "app", "v1", { headers: basic("alice", "alice-pw") });
    const post = await fetch(`${reg.url}/v2/app/blobs/uploads/`, {
      method: "POST",
      headers: basic("alice", "alice-pw"),
    });
    const session = post.headers.get("location")!;
    const before = await snapshot(reg.root);
    await refusedWrites(reg.url, "app", {}, session, 401);
    await refusedWrites(reg.url, "app", basic("alice", "wrong"), session, 401);
    await refusedWrites(reg.url, "app", basic("mallory", "alice-pw"), session, 401);
    assert.deepEqual(await snapshot(reg.root), before);
  });
});

describe("htpasswd with access rules", () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry({
      htpasswd,
      access: [
        { account: "alice", name: "**", actions: ["*"] },
        { account: "bob", name: "alice/**", actions: ["pull"] },
        { account: "anonymous", name: "public/*", actions: ["pull"] },
      ],
    });
    await pushImage(reg.url, "alice/app", "v1", { headers: basic("alice", "alice-pw") });
    await pushImage(reg.url, "public/app", "v1", { headers: basic("alice", "alice-pw") });
  });
  after(async () => {
    await reg?.close();
  });

  test("a user outside their rights gets 403 DENIED and nothing changes", async () => {
    assert.equal(
      (await fetch(`${reg.url}/v2/alice/app/manifests/v1`, { headers: basic("bob", "bob-pw") })).status,
      200,
    );
    const res = await fetch(`${reg.url}/v2/alice/app/blobs/uploads/`, {
      method: "POST",
      headers: basic("bob", "bob-pw"),
    });
    assert.equal(res.status, 403);
    assert.deepEqual(await errorCodes(res), ["DENIED"]);
    const del = await fetch(`${reg.url}/v2/alice/app/manifests/v1`, {
      method: "DELETE",
      headers: basic("bob", "bob-pw"),
    });
    assert.equal(del.status, 403);
    await del.text();
    assert.equal(
      (await fetch(`${reg.url}/v2/alice/app/manifests/v1`, { headers: basic("bob", "bob-pw") })).status,
      200,
    );
  });

  test("anonymous pull where a rule allows it, 401 elsewhere", async () => {
    assert.equal((await fetch(`${reg.url}/v2/public/app/manifests/v1`)).status, 200);
    const res = await fetch(`${reg.url}/v2/alice/app/manifests/v1`);
    assert.equal(res.status, 401);
    await res.text();
    const push = await fetch(`${reg.url}/v2/public/app/blobs/uploads/`, { method: "POST" });
    assert.equal(push.status, 401);
    await push.text();
  });

  test("writes outside a user's rights get 403 DENIED and change nothing on disk", async () => {
    const post = await fetch(`${reg.url}/v2/alice/app/blobs/uploads/`, {
      method: "POST",
      headers: basic("alice", "alice-pw"),
    });
    const session = post.headers.get("location")!;
    const before = await snapshot(reg.root);
    await refusedWrites(reg.url, "alice/app", basic("bob", "bob-pw"), session, 403);
    await refusedWrites(reg.url, "public/app", {}, session.replace("alice/app", "public/app"), 401);
    assert.deepEqual(await snapshot(reg.root), before);
  });
});

describe("token auth", () => {
  let reg: TestRegistry;
  let realm: string;
  before(async () => {
    // The realm must name the registry's own address, known only once it listens: use a
    // fixed path and rewrite the host in the test (the registry serves the path, any host).
    reg = await startTestRegistry({
      htpasswd,
      token: {
        realm: "http://127.0.0.1/auth/token",
        service: "test-registry",
        issuer: "test-issuer",
        expiresInSeconds: 60,
      },
      access: [
        { account: "alice", name: "**", actions: ["*"] },
        { account: "alice", type: "registry", name: "catalog", actions: ["*"] },
        { account: "bob", name: "alice/**", actions: ["pull"] },
      ],
    });
    realm = `${reg.url}/auth/token`;
  });
  after(async () => {
    await reg?.close();
  });

  const token = async (scope: string[], headers: Record<string, string> = {}) => {
    const params = new URLSearchParams({ service: "test-registry" });
    for (const s of scope) params.append("scope", s);
    const res = await fetch(`${realm}?${params}`, { headers });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { token: string; access_token: string; expires_in: number };
    assert.equal(body.token, body.access_token);
    assert.equal(body.expires_in, 60);
    return { Authorization: `Bearer ${body.token}` };
  };

  test("401 with a Bearer challenge naming realm, service and scope", async () => {
    let res = await fetch(`${reg.url}/v2/`);
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get("www-authenticate"),
      'Bearer realm="http://127.0.0.1/auth/token",service="test-registry"',
    );
    await res.text();
    res = await fetch(`${reg.url}/v2/alice/app/blobs/uploads/`, { method: "POST" });
    assert.equal(
      res.headers.get("www-authenticate"),
      'Bearer realm="http://127.0.0.1/auth/token",service="test-registry",scope="repository:alice/app:pull,push"',
    );
    assert.deepEqual(await errorCodes(res), ["UNAUTHORIZED"]);
  });

  test("a scoped token pushes and pulls its repository only", async () => {
    const auth = await token(["repository:alice/app:pull,push"], basic("alice", "alice-pw"));
    assert.equal((await fetch(`${reg.url}/v2/`, { headers: auth })).status, 200);
    const image = await pushImage(reg.url, "alice/app", "v1", { headers: auth });
    assert.equal(
      await (await fetch(`${reg.url}/v2/alice/app/manifests/v1`, { headers: auth })).text(),
      image.manifest,
    );
    const other = await fetch(`${reg.url}/v2/alice/other/tags/list`, { headers: auth });
    assert.equal(other.status, 401);
    assert.match(other.headers.get("www-authenticate") ?? "", /error="insufficient_scope"/);
    await other.text();
  });

  test("a pull-only token cannot push, delete or read the catalog", async () => {
    const auth = await token(["repository:alice/app:pull"], basic("alice", "alice-pw"));
    let res = await fetch(`${reg.url}/v2/alice/app/blobs/uploads/`, { method: "POST", headers: auth });
    assert.equal(res.status, 401);
    assert.match(
      res.headers.get("www-authenticate") ?? "",
      /scope="repository:alice\/app:pull,push",error="insufficient_scope"/,
    );
    await res.text();
    res = await fetch(`${reg.url}/v2/alice/app/manifests/v1`, { method: "DELETE", headers: auth });
    assert.equal(res.status, 401);
    await res.text();
    res = await fetch(`${reg.url}/v2/_catalog`, { headers: auth });
    assert.equal(res.status, 401);
    await res.text();
    const catalog = await token(["registry:catalog:*"], basic("alice", "alice-pw"));
    res = await fetch(`${reg.url}/v2/_catalog`, { headers: catalog });
    assert.equal(res.status, 200);
    assert.ok(((await res.json()) as { repositories: string[] }).repositories.includes("alice/app"));
  });

  test("the token endpoint grants only what the rules allow", async () => {
    // bob asks for push but only gets pull.
    const auth = await token(["repository:alice/app:pull,push"], basic("bob", "bob-pw"));
    assert.equal(
      (await fetch(`${reg.url}/v2/alice/app/manifests/v1`, { method: "HEAD", headers: auth })).status,
      200,
    );
    const res = await fetch(`${reg.url}/v2/alice/app/blobs/uploads/`, { method: "POST", headers: auth });
    assert.equal(res.status, 401);
    await res.text();
    // Anonymous tokens grant nothing here.
    const anon = await token(["repository:alice/app:pull"]);
    const anonRes = await fetch(`${reg.url}/v2/alice/app/manifests/v1`, { headers: anon });
    assert.equal(anonRes.status, 401);
    await anonRes.text();
  });

  test("bad credentials, forged and foreign tokens are refused", async () => {
    let res = await fetch(`${realm}?service=test-registry&scope=repository:alice/app:pull`, {
      headers: basic("alice", "nope"),
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Basic /);
    await res.text();
    res = await fetch(`${realm}?service=other-service`, { headers: basic("alice", "alice-pw") });
    assert.equal(res.status, 403);
    await res.text();
    const auth = await token(["repository:alice/app:pull"], basic("alice", "alice-pw"));
    const [header, payload] = auth.Authorization.slice(7).split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString()) as {
      access: { actions: string[] }[];
    };
    claims.access[0]!.actions = ["pull", "push", "delete"];
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${auth.Authorization.split(".")[2]}`;
    res = await fetch(`${reg.url}/v2/alice/app/manifests/v1`, {
      headers: { Authorization: `Bearer ${forged}` },
    });
    assert.equal(res.status, 401);
    await res.text();
    res = await fetch(`${reg.url}/v2/alice/app/manifests/v1`, {
      headers: { Authorization: "Bearer abc.def.ghi" },
    });
    assert.equal(res.status, 401);
    await res.text();
  });

  test("OAuth2 password grant (POST)", async () => {
    const res = await fetch(realm, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "password",
        username: "alice",
        password: "alice-pw",
        service: "test-registry",
        scope: "repository:alice/app:pull",
        client_id: "test",
      }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { access_token: string; scope: string };
    assert.equal(body.scope, "repository:alice/app:pull");
    const get = await fetch(`${reg.url}/v2/alice/app/tags/list`, {
      headers: { Authorization: `Bearer ${body.access_token}` },
    });
    assert.equal(get.status, 200);
    await get.text();
  });

  test("mount needs pull on the source repository", async () => {
    const alice = await token(["repository:alice/app:pull,push"], basic("alice", "alice-pw"));
    const digest = await pushBlob(reg.url, "alice/app", "secret layer", alice);
    const pushOnly = await token(["repository:alice/dest:pull,push"], basic("alice", "alice-pw"));
    const res = await fetch(`${reg.url}/v2/alice/dest/blobs/uploads/?mount=${digest}&from=alice/app`, {
      method: "POST",
      headers: pushOnly,
    });
    // Without pull on alice/app the mount silently becomes an upload session.
    assert.equal(res.status, 202);
    const both = await token(
      ["repository:alice/dest:pull,push", "repository:alice/app:pull"],
      basic("alice", "alice-pw"),
    );
    const ok = await fetch(`${reg.url}/v2/alice/dest/blobs/uploads/?mount=${digest}&from=alice/app`, {
      method: "POST",
      headers: both,
    });
    assert.equal(ok.status, 201);
  });

  test("writes with a pull-only or foreign token get 401 and change nothing on disk", async () => {
    const push = await token(["repository:alice/tok:pull,push"], basic("alice", "alice-pw"));
    await pushImage(reg.url, "alice/tok", "v1", { headers: push });
    const post = await fetch(`${reg.url}/v2/alice/tok/blobs/uploads/`, { method: "POST", headers: push });
    const session = post.headers.get("location")!;
    const before = await snapshot(reg.root);
    const pullOnly = await token(["repository:alice/tok:pull"], basic("alice", "alice-pw"));
    await refusedWrites(reg.url, "alice/tok", pullOnly, session, 401);
    const otherRepo = await token(["repository:alice/other:pull,push"], basic("alice", "alice-pw"));
    await refusedWrites(reg.url, "alice/tok", otherRepo, session, 401);
    await refusedWrites(reg.url, "alice/tok", {}, session, 401);
    assert.deepEqual(await snapshot(reg.root), before);
  });
});

describe("read-only mode", () => {
  test("pulls work, writes get 405 UNSUPPORTED and change nothing", async () => {
    const writable = await startTestRegistry();
    const image = await pushImage(writable.url, "ro/app", "v1");
    const root = writable.root;
    await writable.registry.close();
    const { startRegistry } = await import("../../../src/distribution/registry/server.ts");
    const { defaultConfig } = await import("../../../src/distribution/registry/config.ts");
    const ro = await startRegistry(
      { ...defaultConfig(), addr: "127.0.0.1:0", root, readOnly: true, requestLog: false },
      { errorLog: () => undefined },
    );
    try {
      assert.equal(await (await fetch(`${ro.url}/v2/ro/app/manifests/v1`)).text(), image.manifest);
      for (const [method, path] of [
        ["POST", "/v2/ro/app/blobs/uploads/"],
        ["PUT", "/v2/ro/app/manifests/v2"],
        ["DELETE", "/v2/ro/app/manifests/v1"],
        ["DELETE", `/v2/ro/app/blobs/${image.layers[0]}`],
      ] as const) {
        const res = await fetch(`${ro.url}${path}`, {
          method,
          body: method === "PUT" ? image.manifest : undefined,
        });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.deepEqual(await errorCodes(res), ["UNSUPPORTED"]);
      }
      assert.equal((await fetch(`${ro.url}/v2/ro/app/manifests/v1`, { method: "HEAD" })).status, 200);
      assert.equal((await fetch(`${ro.url}/v2/ro/app/blobs/${sha256("x")}`, { method: "HEAD" })).status, 404);
    } finally {
      await ro.close();
      await rm(writable.dir, { recursive: true, force: true });
    }
  });
});
