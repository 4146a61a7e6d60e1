// ADD <url> against a real wharfd, from a tiny HTTP server on 127.0.0.1 started by the test:
// file and directory destinations, mode 0600, mtime from Last-Modified, no unpacking, the
// cache keyed on the downloaded content, and Docker's errors with nothing left behind.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { createServer, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { TestApi } from "../../helpers/api.ts";
import { postBuild, runOutput as runBuilt } from "../../helpers/build.ts";
import { isRoot, leaks, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import { makeTar } from "../../helpers/tars.ts";

async function build(api: TestApi, dockerfile: string, query = "", files: Record<string, string> = {}) {
  const r = await postBuild(api, { Dockerfile: dockerfile, ...files }, query);
  assert.equal(r.status, 200, r.message ?? "");
  return r;
}

const runOutput = (api: TestApi, image: string, cmd: string[]) => runBuilt(api, image, cmd, { stderr: true });

const lastModified = "Wed, 21 Oct 2015 07:28:00 GMT";
const lastModifiedEpoch = Date.parse(lastModified) / 1000;

/** What the server answers; `changing` can be rewritten between builds. */
interface Served {
  changing: string;
  hits: Map<string, number>;
  /** Responses to /slow, held open until the test ends them. */
  held: ServerResponse[];
  /** Called when /slow has sent its first bytes. */
  onSlow?: () => void;
}

function startServer(served: Served, archive: Buffer): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    served.hits.set(path, (served.hits.get(path) ?? 0) + 1);
    if (path === "/files/hello.txt") {
      res.writeHead(200, { "Last-Modified": lastModified });
      res.end("hello remote\n");
    } else if (path === "/changing/data.txt") {
      res.end(served.changing);
    } else if (path === "/redir") {
      res.writeHead(302, { Location: "/files/hello.txt" });
      res.end();
    } else if (path === "/named/") {
      res.writeHead(200, { "Content-Disposition": 'attachment; filename="sub/named.txt"' });
      res.end("named\n");
    } else if (path === "/files/bundle.tar") {
      res.end(archive);
    } else if (path === "/slow") {
      res.writeHead(200, { "Content-Length": String(1 << 20) });
      res.write(Buffer.alloc(4096, 1), () => served.onSlow?.());
      served.held.push(res);
    } else if (path === "/broken") {
      res.writeHead(200, { "Content-Length": "100" });
      res.write("only ten b", () => res.socket?.destroy());
    } else if (path === "/") {
      res.end("root\n");
    } else {
      res.writeHead(404);
      res.end("nope\n");
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

describe("ADD <url>", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  let server: Server;
  let base: string;
  const served: Served = { changing: "v1\n", hits: new Map(), held: [] };
  let archiveSize = 0;

  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
    const archive = await makeTar([{ name: "inside.txt", body: "packed\n" }]);
    archiveSize = archive.length;
    server = await startServer(served, archive);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const res of served.held) res.destroy();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await d?.stop();
  });

  /**
   * The daemon's build scratch dir holds no download once a build has answered (they go before
   * the step ends), and nothing at all once the context spool is gone too (just after the reply).
   */
  async function assertNothingLeft(): Promise<void> {
    if (!d.owned) return;
    const tmp = join(d.dataRoot, "build", "tmp");
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith("add-")),
      [],
    );
    for (let i = 0; i < 100 && readdirSync(tmp).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(readdirSync(tmp), []);
    assert.deepEqual(leaks(d.dataRoot).mounts, []);
  }

  test("to a directory and to a file: name from the URL, mode 0600, Last-Modified, no unpacking, --chown/--chmod", async () => {
    const r = await build(
      d.api,
      [
        "FROM busybox",
        `ADD ${base}/files/hello.txt /d/`,
        `ADD ${base}/files/hello.txt /f.txt`,
        `ADD ${base}/redir?x=1 /r/`,
        `ADD ${base}/named/ /n/`,
        `ADD ${base} /rootpage`,
        `ADD ${base}/files/bundle.tar /t/`,
        "RUN mkdir /existing",
        `ADD ${base}/files/hello.txt /existing`,
        `ADD --chown=7:8 --chmod=640 ${base}/files/hello.txt /g`,
      ].join("\n"),
      "t=addurl:files",
    );
    assert.ok(r.id, r.output + JSON.stringify(r.lines.at(-1)));
    // Docker's classic builder prints a blank line once a download is done.
    assert.match(r.output, /Step 2\/10 : ADD http:\S+ \/d\/\n\n ---> [0-9a-f]{12}\n/);
    const listing = await runOutput(d.api, "addurl:files", [
      "sh",
      "-c",
      "cd / && stat -c '%n %a %u:%g %Y %s' d/hello.txt f.txt r/redir n/named.txt rootpage t/bundle.tar existing/hello.txt g && cat f.txt n/named.txt rootpage",
    ]);
    const m = lastModifiedEpoch;
    assert.equal(
      listing,
      [
        `d/hello.txt 600 0:0 ${m} 13`,
        `f.txt 600 0:0 ${m} 13`,
        `r/redir 600 0:0 ${m} 13`,
        "n/named.txt 600 0:0 0 6",
        "rootpage 600 0:0 0 5",
        `t/bundle.tar 600 0:0 0 ${archiveSize}`,
        `existing/hello.txt 600 0:0 ${m} 13`,
        `g 640 7:8 ${m} 13`,
        "hello remote",
        "named",
        "root",
        "",
      ].join("\n"),
    );
    // A single downloaded file shows in the history as Docker's "ADD <hash> in <dest>".
    const history = await d.api.ok<Array<{ CreatedBy: string }>>("GET", "/images/addurl:files/history");
    assert.ok(
      history.some((h) => /#\(nop\) ADD [0-9a-f]{64} in \/f\.txt $/.test(h.CreatedBy)),
      JSON.stringify(history.map((h) => h.CreatedBy)),
    );
    await d.api.call("DELETE", "/images/addurl:files");
    await assertNothingLeft();
  });

  test("the cache: downloaded every time, a hit while the content is the same, a miss once it changes", async () => {
    const dockerfile = `FROM busybox\nADD ${base}/changing/data.txt /data.txt\nRUN cat /data.txt > /copy.txt\n`;
    served.changing = `first ${Date.now()}\n`;
    const first = await build(d.api, dockerfile, "t=addurl:cache");
    assert.ok(first.id, first.output + JSON.stringify(first.lines.at(-1)));
    assert.doesNotMatch(first.output, /Using cache/);
    const hitsBefore = served.hits.get("/changing/data.txt") ?? 0;

    const again = await build(d.api, dockerfile, "t=addurl:cache");
    assert.equal(again.id, first.id, again.output);
    assert.equal(again.output.match(/Using cache/g)?.length, 2, again.output);
    assert.equal(served.hits.get("/changing/data.txt"), hitsBefore + 1, "a cache hit still downloads");

    served.changing = "second\n";
    const changed = await build(d.api, dockerfile, "t=addurl:cache");
    assert.ok(changed.id, changed.output + JSON.stringify(changed.lines.at(-1)));
    assert.notEqual(changed.id, first.id);
    assert.doesNotMatch(changed.output, /Using cache/);
    assert.equal(await runOutput(d.api, "addurl:cache", ["cat", "/copy.txt"]), "second\n");

    const noCache = await build(d.api, dockerfile, "nocache=1");
    assert.doesNotMatch(noCache.output, /Using cache/);
    await d.api.call("DELETE", "/images/addurl:cache");
    await assertNothingLeft();
  });

  test("errors: HTTP 404, a refused port, no file name, COPY of a URL — the step fails clearly, nothing left", async () => {
    const missing = await build(d.api, `FROM busybox\nADD ${base}/missing.txt /m\n`, "t=addurl:bad");
    assert.equal(
      missing.error,
      `ADD failed: failed to GET ${base}/missing.txt with status 404 Not Found: nope`,
    );
    assert.match(missing.output, /Step 2\/2 : ADD /);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await build(d.api, `FROM busybox\nADD http://127.0.0.1:${port}/x /x\n`, "t=addurl:bad");
    assert.equal(
      refused.error,
      `ADD failed: Get "http://127.0.0.1:${port}/x": dial tcp 127.0.0.1:${port}: connect: connection refused`,
    );

    const unnamed = await build(d.api, `FROM busybox\nADD ${base}/ /dir/\n`, "t=addurl:bad");
    assert.equal(unnamed.error, `ADD failed: cannot determine filename for source ${base}/`);

    const copy = await build(d.api, `FROM busybox\nCOPY ${base}/files/hello.txt /x\n`, "t=addurl:bad");
    assert.equal(copy.error, "COPY failed: source can't be a URL for COPY");

    assert.equal((await d.api.call("GET", "/images/addurl:bad/json")).status, 404);
    assert.deepEqual(await d.api.ok<unknown[]>("GET", "/containers/json?all=1"), []);
    await assertNothingLeft();
  });

  test("a body cut short fails the step; a client gone mid-download stops it; no download is left", async () => {
    const broken = await build(d.api, `FROM busybox\nADD ${base}/broken /b\n`, "t=addurl:cut");
    assert.match(broken.error ?? "", new RegExp(`^ADD failed: reading ${base}/broken: `), broken.output);
    assert.equal((await d.api.call("GET", "/images/addurl:cut/json")).status, 404);

    const body = await makeTar([{ name: "Dockerfile", body: `FROM busybox\nADD ${base}/slow /s\n` }]);
    const started = new Promise<void>((resolve) => {
      served.onSlow = resolve;
    });
    const req = request({
      socketPath: d.socket,
      method: "POST",
      path: "/build?t=addurl:cut",
      headers: { "Content-Type": "application/x-tar" },
    });
    req.on("error", () => undefined);
    req.on("response", (res) => res.resume());
    req.end(body);
    await started;
    req.destroy();
    // The daemon notices the client is gone, aborts the download and removes its file.
    const tmp = join(d.dataRoot, "build", "tmp");
    for (let i = 0; i < 200 && d.owned && readdirSync(tmp).length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    await assertNothingLeft();
    assert.equal((await d.api.call("GET", "/images/addurl:cut/json")).status, 404);
  });

  test("a file (local or downloaded) whose destination is an existing directory goes inside it, as in Docker", async () => {
    const r = await build(
      d.api,
      [
        "FROM busybox",
        "RUN mkdir -p /existing /real && ln -s /real /link",
        "COPY local.txt /existing",
        `ADD ${base} /existing`,
        "COPY local.txt /link",
        "COPY local.txt /newname",
      ].join("\n"),
      "t=addurl:intodir",
      { "local.txt": "local\n" },
    );
    assert.ok(r.id, r.output + JSON.stringify(r.lines.at(-1)));
    const listing = await runOutput(d.api, "addurl:intodir", [
      "sh",
      "-c",
      "cd / && cat existing/local.txt existing/__unnamed__ real/local.txt newname && readlink link",
    ]);
    assert.equal(listing, "local\nroot\nlocal\nlocal\n/real\n");
    await d.api.call("DELETE", "/images/addurl:intodir");
    await assertNothingLeft();
  });
});
