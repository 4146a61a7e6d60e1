// GET /containers/{id}/attach/ws driven by Node's own WebSocket client (undici), over a loopback
// TCP listener of the test's wharfd: raw output in binary frames, stdin from the client's
// messages, logs replay, the detach keys, and Docker's 400 for a request that is no websocket.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A websocket session: what it received (as text), and ways to wait, send and close. */
async function connect(url: string) {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  let received = "";
  const kinds = new Set<string>();
  let closed = false;
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  ws.addEventListener("message", (e) => {
    kinds.add(typeof e.data === "string" ? "text" : "binary");
    received += typeof e.data === "string" ? e.data : Buffer.from(e.data as ArrayBuffer).toString();
    wake();
  });
  ws.addEventListener("close", () => {
    closed = true;
    wake();
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error(`websocket to ${url} failed`)));
  });
  const until = async (ok: () => boolean) => {
    const deadline = Date.now() + 20_000;
    while (!ok() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return ok();
  };
  return {
    ws,
    kinds,
    text: () => received,
    until,
    closed: () => until(() => closed),
  };
}

describe("attach over a websocket", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  let port: number;
  before(async () => {
    port = await freePort();
    d = await startDaemon(["-H", `tcp://127.0.0.1:${port}`]);
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });
  const url = (id: string, query: string, version = "v1.41") =>
    `ws://127.0.0.1:${port}/${version}/containers/${id}/attach/ws?${query}`;

  test("stdin in, raw stdout and stderr out in binary frames; the logs replay", async () => {
    const id = await d.api.run(
      {
        Image: "busybox",
        Cmd: ["sh", "-c", "echo hello; while read l; do echo out:$l; echo err:$l >&2; done"],
        OpenStdin: true,
      },
      "ws-echo",
    );
    const s = await connect(url(id, "logs=1&stream=1&stdin=1&stdout=1&stderr=1"));
    assert.ok(await s.until(() => s.text().includes("hello\n")), s.text());
    s.ws.send("one\n");
    assert.ok(
      await s.until(() => s.text().includes("out:one\n") && s.text().includes("err:one\n")),
      s.text(),
    );
    assert.deepEqual([...s.kinds], ["binary"]);
    // Raw, never multiplexed: no 8-byte frame headers in the stream.
    assert.doesNotMatch(s.text(), /[\x00-\x02]\x00\x00\x00/);
    s.ws.close();
    await s.closed();
    const info = await d.api.ok<{ State: { Running: boolean } }>("GET", `/containers/${id}/json`);
    assert.equal(info.State.Running, true, "a client that leaves does not stop the container");
  });

  test("text frames before API 1.28; the detach keys end a TTY session", async () => {
    const id = await d.api.run(
      { Image: "busybox", Cmd: ["sh", "-c", "echo ready; cat"], OpenStdin: true, Tty: true },
      "ws-tty",
    );
    const s = await connect(url(id, "logs=1&stream=1&stdin=1&stdout=1&detachKeys=ctrl-x,x", "v1.27"));
    assert.ok(await s.until(() => s.text().includes("ready")), s.text());
    s.ws.send("typed\n");
    assert.ok(await s.until(() => s.text().includes("typed\r\ntyped\r\n")), JSON.stringify(s.text()));
    assert.deepEqual([...s.kinds], ["text"]);
    s.ws.send(new Uint8Array([0x18, 0x78]));
    assert.ok(await s.closed(), "the daemon ends the session on the detach keys");
    const info = await d.api.ok<{ State: { Running: boolean } }>("GET", `/containers/${id}/json`);
    assert.equal(info.State.Running, true);
  });

  test("a plain request is a 400; an unknown container a 404", async () => {
    const plain = await d.api.call("GET", "/containers/ws-echo/attach/ws?stream=1");
    assert.equal(plain.status, 400);
    assert.equal(plain.text(), "not websocket protocol");
    await assert.rejects(connect(url("nosuch", "stream=1")));
    const res = await fetch(`http://127.0.0.1:${port}/v1.41/containers/nosuch/attach/ws?stream=1`, {
      headers: { Connection: "Upgrade", Upgrade: "websocket" },
    }).catch(() => undefined);
    assert.ok(res === undefined || res.status === 404 || res.status === 400);
  });
});
