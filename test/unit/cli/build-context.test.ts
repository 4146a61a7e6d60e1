import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tarStream from "tar-stream";
import { contextFromDir, contextFromDockerfile } from "../../../src/cli/build-context.ts";

async function listTar(stream: AsyncIterable<Buffer>): Promise<Map<string, string>> {
  const extract = tarStream.extract();
  const out = new Map<string, string>();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  extract.end(Buffer.concat(chunks));
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    out.set(`${entry.header.name}:${entry.header.uid}:${entry.header.gid}`, Buffer.concat(chunks).toString());
  }
  return out;
}

describe("wharf build: the context tar", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "wharf-cli-ctx-"));
    mkdirSync(join(dir, "logs"));
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
    writeFileSync(join(dir, ".dockerignore"), "*.log\nlogs\n!keep.log\nDockerfile\n");
    writeFileSync(join(dir, "a.log"), "x");
    writeFileSync(join(dir, "keep.log"), "k");
    writeFileSync(join(dir, "logs", "old.txt"), "o");
    writeFileSync(join(dir, "sub", "app.txt"), "a");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("leaves out what .dockerignore excludes, keeps the Dockerfile and .dockerignore, owns all by 0:0", async () => {
    const ctx = await contextFromDir(dir, {});
    assert.equal(ctx.dockerfile, "Dockerfile");
    const names = [...(await listTar(ctx.stream)).keys()].sort();
    assert.deepEqual(names, [
      ".dockerignore:0:0",
      "Dockerfile:0:0",
      "keep.log:0:0",
      "sub/app.txt:0:0",
      "sub:0:0",
    ]);
  });

  it("a Dockerfile from stdin or from outside the context is added under a random name", async () => {
    const fromStdin = await contextFromDir(dir, { text: "FROM busybox\n" });
    assert.match(fromStdin.dockerfile, /^\.dockerfile\.[0-9a-f]{20}$/);
    const entries = await listTar(fromStdin.stream);
    assert.equal(entries.get(`${fromStdin.dockerfile}:0:0`), "FROM busybox\n");

    const outside = join(mkdtempSync(join(tmpdir(), "wharf-cli-df-")), "Dockerfile.other");
    writeFileSync(outside, "FROM other\n");
    const fromOutside = await contextFromDir(dir, { path: outside });
    assert.match(fromOutside.dockerfile, /^\.dockerfile\./);
    assert.equal((await listTar(fromOutside.stream)).get(`${fromOutside.dockerfile}:0:0`), "FROM other\n");
    rmSync(join(outside, ".."), { recursive: true, force: true });

    const inside = await contextFromDir(dir, { path: join(dir, "sub", "app.txt") });
    assert.equal(inside.dockerfile, "sub/app.txt");
    await listTar(inside.stream);
  });

  it("a bare Dockerfile becomes a one-file context; a missing directory is an error", async () => {
    const bare = await contextFromDockerfile(Buffer.from("FROM x\n"));
    assert.deepEqual([...(await listTar(bare.stream)).entries()], [["Dockerfile:0:0", "FROM x\n"]]);
    await assert.rejects(
      contextFromDir(join(dir, "nope"), {}),
      /unable to prepare context: path ".*nope" not found/,
    );
  });
});
