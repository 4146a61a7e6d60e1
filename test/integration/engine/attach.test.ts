// Interactive attach against a real wharfd: stdin through conmon (before and after start),
// StdinOnce, TTY raw streams, resize, detach keys.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { demux } from "../../helpers/api.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { hijack } from "../../helpers/hijack.ts";
import { importBusybox } from "../../helpers/images.ts";

describe("attach", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  const prefix = "/v1.41";
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  const create = async (body: Record<string, unknown>) =>
    (await d.api.ok<{ Id: string }>("POST", "/containers/create", { Image: "busybox", ...body })).Id;

  test("non-TTY: stdin sent before start reaches the process; StdinOnce closes it at the end", async () => {
    const id = await create({
      Cmd: ["sh", "-c", "cat; echo done >&2"],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
    });
    const conn = await hijack(
      d.socket,
      `${prefix}/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`,
    );
    assert.match(conn.head, /^HTTP\/1.1 101 UPGRADED/);
    conn.socket.write("hello\nworld\n");
    conn.socket.end();
    await d.api.ok("POST", `/containers/${id}/start`);
    const out = demux(await conn.rest());
    assert.deepEqual(out, { stdout: "hello\nworld\n", stderr: "done\n" });
    assert.equal(await d.api.waitExit(id), 0);
  });

  test("stdin is ignored for a container without OpenStdin", async () => {
    const id = await create({ Cmd: ["sh", "-c", "echo no-stdin"] });
    const conn = await hijack(d.socket, `${prefix}/containers/${id}/attach?stream=1&stdin=1&stdout=1`);
    conn.socket.write("ignored\n");
    await d.api.ok("POST", `/containers/${id}/start`);
    assert.equal(demux(await conn.rest()).stdout, "no-stdin\n");
  });

  test("TTY: raw stream, resize, and the detach keys leave the container running", async () => {
    const id = await create({
      Cmd: ["sh", "-c", "tty; while read line; do echo got:$line; stty size; done"],
      Tty: true,
      OpenStdin: true,
      StdinOnce: true,
    });
    const conn = await hijack(
      d.socket,
      `${prefix}/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`,
    );
    await d.api.ok("POST", `/containers/${id}/start`);
    await conn.until((b) => /\/dev\/pts\/\d+/.test(b.toString()));
    assert.equal((await d.api.call("POST", `/containers/${id}/resize?h=33&w=77`)).status, 200);
    conn.socket.write("one\n");
    const seen = (await conn.until((b) => /33 77/.test(b.toString()))).toString();
    assert.match(seen, /got:one\r\n33 77\r\n/);
    // ctrl-p ctrl-q: the daemon ends the session; the container keeps running, stdin open.
    conn.socket.write(Buffer.from([0x10, 0x11]));
    await conn.rest();
    const state = await d.api.ok<{ State: { Running: boolean } }>("GET", `/containers/${id}/json`);
    assert.equal(state.State.Running, true);
    const again = await hijack(d.socket, `${prefix}/containers/${id}/attach?stream=1&stdin=1&stdout=1`);
    again.socket.write("two\n");
    await again.until((b) => /got:two/.test(b.toString()));
    again.socket.destroy();
    await d.api.ok("POST", `/containers/${id}/kill`);
  });

  test("a client that drops mid-attach leaves the container running and no helper behind", async () => {
    const id = (await d.api.run(
      { Image: "busybox", Cmd: ["cat"], OpenStdin: true },
      "drop-attach",
    )) as string;
    const conn = await hijack(d.socket, `${prefix}/containers/${id}/attach?stream=1&stdin=1&stdout=1`);
    conn.socket.write("x\n");
    await conn.until((b) => demux(b).stdout.includes("x"));
    conn.socket.destroy();
    const socat = () =>
      readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`${id}/attach`);
          } catch {
            return false;
          }
        });
    for (let i = 0; i < 50 && socat().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(socat(), []);
    const state = await d.api.ok<{ State: { Running: boolean } }>("GET", `/containers/${id}/json`);
    assert.equal(state.State.Running, true);
  });

  test("resize: bad sizes are 400, a stopped container is 409, unknown is 404", async () => {
    const id = await create({ Cmd: ["true"], Tty: true });
    const bad = await d.api.call("POST", `/containers/${id}/resize?h=abc&w=10`);
    assert.equal(bad.status, 400);
    assert.match(bad.json<{ message: string }>().message, /invalid syntax/);
    assert.equal((await d.api.call("POST", `/containers/${id}/resize?h=-1&w=10`)).status, 400);
    const stopped = await d.api.call("POST", `/containers/${id}/resize?h=10&w=10`);
    assert.equal(stopped.status, 409);
    assert.match(stopped.json<{ message: string }>().message, /is not running/);
    assert.equal((await d.api.call("POST", "/containers/nosuch/resize?h=1&w=1")).status, 404);
    const badKeys = await d.api.call("POST", `/containers/${id}/attach?stream=1&detachKeys=ctrl-%3F%3F`);
    assert.equal(badKeys.status, 400);
  });
});
