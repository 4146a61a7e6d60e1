import assert from "node:assert/strict";
import { test } from "node:test";
import bcrypt from "bcryptjs";
import { AccessPolicy } from "../../../../src/distribution/registry/auth/access-policy.ts";
import { Htpasswd, parseBasicAuth } from "../../../../src/distribution/registry/auth/htpasswd.ts";
import { newSecret, signToken, verifyToken } from "../../../../src/distribution/registry/auth/jwt.ts";
import {
  covers,
  formatScope,
  parseScope,
  parseScopes,
} from "../../../../src/distribution/registry/auth/scope.ts";

test("scopes parse, merge and cover", () => {
  assert.deepEqual(parseScope("repository:samalba/my-app:pull,push"), {
    type: "repository",
    name: "samalba/my-app",
    actions: ["pull", "push"],
  });
  assert.deepEqual(parseScope("repository(plugin):a:pull"), {
    type: "repository",
    name: "a",
    actions: ["pull"],
  });
  assert.deepEqual(parseScope("registry:catalog:*"), { type: "registry", name: "catalog", actions: ["*"] });
  assert.equal(parseScope("repository:a"), undefined);
  assert.equal(parseScope("repository:a:"), undefined);
  assert.deepEqual(parseScopes(["repository:a:pull repository:b:push", "repository:a:push"]), [
    { type: "repository", name: "a", actions: ["pull", "push"] },
    { type: "repository", name: "b", actions: ["push"] },
  ]);
  const granted = [{ type: "repository", name: "a", actions: ["pull"] }];
  assert.ok(covers(granted, { type: "repository", name: "a", actions: ["pull"] }));
  assert.ok(!covers(granted, { type: "repository", name: "a", actions: ["pull", "push"] }));
  assert.ok(!covers(granted, { type: "repository", name: "b", actions: ["pull"] }));
  assert.ok(
    covers([{ type: "repository", name: "a", actions: ["*"] }], {
      type: "repository",
      name: "a",
      actions: ["delete"],
    }),
  );
  assert.equal(
    formatScope({ type: "repository", name: "a", actions: ["pull", "push"] }),
    "repository:a:pull,push",
  );
});

test("tokens verify only when untouched, current and for this audience", () => {
  const secret = newSecret();
  const now = 1_000_000;
  const claims = {
    iss: "me",
    sub: "alice",
    aud: "svc",
    exp: now + 60,
    nbf: now - 1,
    iat: now,
    jti: "x",
    access: [{ type: "repository", name: "a", actions: ["pull"] }],
  };
  const token = signToken(claims, secret);
  assert.deepEqual(verifyToken(token, secret, { issuer: "me", audience: "svc", now }), claims);
  assert.equal(verifyToken(token, newSecret(), { issuer: "me", audience: "svc", now }), undefined);
  assert.equal(verifyToken(token, secret, { issuer: "me", audience: "other", now }), undefined);
  assert.equal(verifyToken(token, secret, { issuer: "other", audience: "svc", now }), undefined);
  assert.equal(verifyToken(token, secret, { issuer: "me", audience: "svc", now: now + 1000 }), undefined);
  assert.equal(verifyToken(token, secret, { issuer: "me", audience: "svc", now: now - 1000 }), undefined);
  const [h, , s] = token.split(".");
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: "root" })).toString("base64url")}.${s}`;
  assert.equal(verifyToken(tampered, secret, { issuer: "me", audience: "svc", now }), undefined);
  const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${token.split(".")[1]}.`;
  assert.equal(verifyToken(none, secret, { issuer: "me", audience: "svc", now }), undefined);
  assert.equal(verifyToken("garbage", secret, { issuer: "me", audience: "svc", now }), undefined);
});

test("access policy: defaults, accounts, globs", () => {
  const open = new AccessPolicy();
  const pullPush = { type: "repository", name: "a/b", actions: ["pull", "push"] };
  assert.deepEqual(open.grant("alice", pullPush).actions, ["pull", "push"]);
  assert.deepEqual(open.grant(undefined, pullPush).actions, []);
  const policy = new AccessPolicy([
    { account: "alice", name: "alice/*", actions: ["*"] },
    { account: "*", name: "shared/**", actions: ["pull"] },
    { account: "anonymous", name: "public", actions: ["pull"] },
  ]);
  const req = (name: string, actions = ["pull", "push", "delete"]) => ({ type: "repository", name, actions });
  assert.deepEqual(policy.grant("alice", req("alice/app")).actions, ["pull", "push", "delete"]);
  assert.deepEqual(policy.grant("alice", req("alice/app/deep")).actions, []);
  assert.deepEqual(policy.grant("bob", req("shared/x/y")).actions, ["pull"]);
  assert.deepEqual(policy.grant(undefined, req("shared/x")).actions, []);
  assert.deepEqual(policy.grant(undefined, req("public")).actions, ["pull"]);
  assert.deepEqual(policy.grant("bob", { type: "registry", name: "catalog", actions: ["*"] }).actions, []);
});

test("htpasswd: bcrypt entries only, $2y$ accepted, unknown users rejected", async () => {
  const hash = bcrypt.hashSync("secret", 4);
  const file = Htpasswd.parse(
    `# comment\nalice:${hash.replace("$2b$", "$2y$")}\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n\ncarol:${hash}\n`,
  );
  assert.equal(file.size, 2);
  assert.equal(await file.verify("alice", "secret"), true);
  assert.equal(await file.verify("alice", "secret"), true, "cached");
  assert.equal(await file.verify("alice", "wrong"), false);
  assert.equal(await file.verify("carol", "secret"), true);
  assert.equal(await file.verify("bob", "password"), false);
  assert.equal(await file.verify("nobody", "secret"), false);
  assert.deepEqual(parseBasicAuth(`Basic ${Buffer.from("u:p:w").toString("base64")}`), {
    user: "u",
    password: "p:w",
  });
  assert.equal(parseBasicAuth("Bearer x"), undefined);
  assert.equal(parseBasicAuth(undefined), undefined);
});
