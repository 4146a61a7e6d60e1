// Exec against a real wharfd: conmon --exec processes in the container's namespaces, hijacked
// and detached starts, stdin, TTY, inspect, the 404/409 rules, and cleanup with the container.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { demux } from "../../helpers/api.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { hijack } from "../../helpers/hijack.ts";
import { importBusybox } from "../../helpers/images.ts";

interface ExecInspect {
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; user?: string };
}

describe("exec", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  let ctr: string;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
    ctr = await d.api.run({ Image: "busybox", Cmd: ["sleep", "600"], Env: ["FROM_CTR=1"] });
  });
  after(async () => {
    await d?.stop();
  });

  const create = async (body: Record<string, unknown>, on = ctr) =>
    (await d.api.ok<{ Id: string }>("POST", `/containers/${on}/exec`, body)).Id;
  /** Files of an exec's monitor still on disk a while after it ended (none with an external daemon). */
  const leftovers = async (container: string, id: string) => {
    if (!d.owned) return [];
    const left = () =>
      [join(d.dataRoot, "containers", container, "exec", id), join(d.execRoot, "s", id)].filter((p) =>
        existsSync(p),
      );
    for (let i = 0; i < 50 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    return left();
  };
  const startAttached = async (id: string, body: Record<string, unknown> = {}) =>
    hijack(d.socket, `/v1.41/exec/${id}/start`, { Detach: false, Tty: false, ...body });

  test("hijacked start: separate stdout/stderr, exit code, env, user, workdir", async () => {
    const id = await create({
      Cmd: ["sh", "-c", "echo $FROM_CTR $FOO; id -u; pwd; echo oops >&2; exit 7"],
      Env: ["FOO=bar"],
      User: "nobody",
      WorkingDir: "/tmp",
      AttachStdout: true,
      AttachStderr: true,
    });
    const ctrInfo = await d.api.ok<{ ExecIDs: string[] | null }>("GET", `/containers/${ctr}/json`);
    assert.ok(ctrInfo.ExecIDs?.includes(id));
    const before = await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`);
    assert.equal(before.ExitCode, null);
    assert.equal(before.Running, false);
    const conn = await startAttached(id);
    assert.match(conn.head, /^HTTP\/1.1 101 UPGRADED/);
    assert.deepEqual(demux(await conn.rest()), { stdout: "1 bar\n65534\n/tmp\n", stderr: "oops\n" });
    const info = await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`);
    assert.equal(info.ExitCode, 7);
    assert.equal(info.Running, false);
    assert.equal(info.ProcessConfig.entrypoint, "sh");
    assert.equal(info.ProcessConfig.user, "nobody");
    const again = await d.api.call("POST", `/exec/${id}/start`, { Detach: true });
    assert.equal(again.status, 409);
    // Its monitor's files (process spec, log, exit file, attach socket) go when it ends.
    assert.deepEqual(await leftovers(ctr, id), []);
  });

  test("stdin is delivered and closed at its end; TTY exec gets a pty and resize", async () => {
    const id = await create({ Cmd: ["cat"], AttachStdin: true, AttachStdout: true });
    const conn = await startAttached(id);
    conn.socket.end("piped\n");
    assert.equal(demux(await conn.rest()).stdout, "piped\n");
    assert.equal((await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`)).ExitCode, 0);

    const t = await create({
      Cmd: ["sh", "-c", "tty; read x; stty size"],
      Tty: true,
      AttachStdin: true,
      AttachStdout: true,
    });
    const tconn = await startAttached(t, { Tty: true });
    await tconn.until((b) => /\/dev\/pts\/\d+/.test(b.toString()));
    assert.equal((await d.api.call("POST", `/exec/${t}/resize?h=21&w=55`)).status, 200);
    tconn.socket.write("\n");
    assert.match((await tconn.rest()).toString(), /21 55/);
  });

  test("a client that drops an interactive TTY exec ends its process, as Docker does", async () => {
    const id = await create({ Cmd: ["sleep", "600"], Tty: true, AttachStdin: true, AttachStdout: true });
    const conn = await startAttached(id, { Tty: true });
    let info = await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`);
    for (let i = 0; i < 50 && !info.Running; i++) {
      await new Promise((r) => setTimeout(r, 50));
      info = await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`);
    }
    assert.equal(info.Running, true);
    conn.socket.destroy();
    for (let i = 0; i < 50 && info.Running; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`);
    }
    assert.equal(info.Running, false);
    assert.equal(info.ExitCode, 137);
    assert.deepEqual(await leftovers(ctr, id), []);
  });

  test("DetachKeys: the exec's own keys end the session and leave its process running", async () => {
    const id = await create({
      Cmd: ["sh", "-c", "echo ready; sleep 600"],
      Tty: true,
      AttachStdin: true,
      AttachStdout: true,
      DetachKeys: "ctrl-x,x",
    });
    const conn = await startAttached(id, { Tty: true });
    await conn.until((b) => b.toString().includes("ready"));
    // The default keys are plain input for this exec; its own keys detach.
    conn.socket.write(Buffer.from([0x10, 0x11]));
    conn.socket.write(Buffer.from([0x18, 0x78]));
    await conn.rest();
    const info = await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`);
    assert.equal(info.Running, true);
    assert.doesNotThrow(() => process.kill(info.Pid, 0));
    process.kill(info.Pid, "SIGKILL");
  });

  test("an exec joins the container's cgroup and namespaces; Privileged widens its capabilities", async () => {
    const run = async (body: Record<string, unknown>) => {
      const id = await create({ AttachStdout: true, AttachStderr: true, ...body });
      return demux(await (await startAttached(id)).rest()).stdout;
    };
    const ctrPid = (await d.api.ok<{ State: { Pid: number } }>("GET", `/containers/${ctr}/json`)).State.Pid;
    const memoryLine = (text: string) => text.split("\n").find((l) => /:memory:/.test(l));
    const inside = await run({ Cmd: ["cat", "/proc/self/cgroup"] });
    assert.ok(memoryLine(inside));
    assert.equal(memoryLine(inside), memoryLine(readFileSync(`/proc/${ctrPid}/cgroup`, "utf8")));
    for (const ns of ["pid", "net", "mnt", "uts", "ipc"]) {
      const link = (await run({ Cmd: ["readlink", `/proc/self/ns/${ns}`] })).trim();
      assert.equal(link, readlinkSync(`/proc/${ctrPid}/ns/${ns}`), ns);
    }
    const capEff = (text: string) => BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(text)?.[1] ?? "0"}`);
    const plain = capEff(await run({ Cmd: ["grep", "CapEff", "/proc/self/status"] }));
    const privileged = capEff(await run({ Cmd: ["grep", "CapEff", "/proc/self/status"], Privileged: true }));
    const sysAdmin = 1n << 21n;
    assert.equal(plain & sysAdmin, 0n);
    assert.equal(privileged & sysAdmin, sysAdmin);
    assert.equal(privileged & plain, plain, "privileged keeps every default capability");
  });

  test("detached start runs in the background; inspect shows the pid then the exit code", async () => {
    const id = await create({ Cmd: ["sh", "-c", "sleep 0.5; exit 3"] });
    const res = await d.api.call("POST", `/exec/${id}/start`, { Detach: true });
    assert.equal(res.status, 200);
    const running = await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`);
    assert.ok(running.Pid > 0);
    let info = running;
    for (let i = 0; i < 100 && info.ExitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`);
    }
    assert.equal(info.ExitCode, 3);
  });

  test("errors: unknown exec 404, no command 400, missing binary 127, stopped container 409", async () => {
    const unknown = await d.api.call("GET", "/exec/nosuch/json");
    assert.equal(unknown.status, 404);
    assert.match(unknown.json<{ message: string }>().message, /No such exec instance: nosuch/);
    assert.equal((await d.api.call("POST", "/exec/nosuch/start", { Detach: true })).status, 404);
    assert.equal((await d.api.call("POST", `/containers/${ctr}/exec`, { Cmd: [] })).status, 400);
    const missing = await create({ Cmd: ["nosuchbinary"], AttachStdout: true });
    const out = demux(await (await startAttached(missing)).rest()).stdout;
    assert.match(out, /executable file not found/);
    assert.equal((await d.api.ok<ExecInspect>("GET", `/exec/${missing}/json`)).ExitCode, 127);

    const stopped = await d.api.run({ Image: "busybox", Cmd: ["true"] });
    await d.api.waitExit(stopped);
    const res = await d.api.call("POST", `/containers/${stopped}/exec`, { Cmd: ["true"] });
    assert.equal(res.status, 409);
    assert.equal(res.json<{ message: string }>().message, `Container ${stopped} is not running`);
  });

  test("exec processes end when their container stops", async () => {
    const c = await d.api.run({ Image: "busybox", Cmd: ["sleep", "600"] });
    const id = await create({ Cmd: ["sleep", "600"] }, c);
    await d.api.ok("POST", `/exec/${id}/start`, { Detach: true });
    const pid = (await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`)).Pid;
    assert.doesNotThrow(() => process.kill(pid, 0));
    await d.api.ok("POST", `/containers/${c}/stop?t=0`);
    let info = await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`);
    for (let i = 0; i < 50 && info.Running; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await d.api.ok<ExecInspect>("GET", `/exec/${id}/json`);
    }
    assert.equal(info.Running, false);
    assert.throws(() => process.kill(pid, 0));
  });
});
