// Live restore: wharfd is killed with SIGKILL while containers run; after it starts again the
// containers kept running, and logs, attach (with stdin), exec, stop and exit codes work; exits
// that happened meanwhile are recorded; restart policies are honoured at daemon start.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { demux } from "../../helpers/api.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { hijack } from "../../helpers/hijack.ts";
import { importBusybox } from "../../helpers/images.ts";

interface Inspect {
  State: { Running: boolean; Status: string; Pid: number; ExitCode: number; FinishedAt: string };
  RestartCount: number;
}

describe("live restore", {
  skip: (!isRoot() && "needs root") || (process.env.WHARF_TEST_SOCKET ? "needs a wharfd it can kill" : false),
}, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  const inspect = (id: string) => d.api.ok<Inspect>("GET", `/containers/${id}/json`);
  const until = async (id: string, ok: (i: Inspect) => boolean): Promise<Inspect> => {
    for (let i = 0; i < 100; i++) {
      const info = await inspect(id);
      if (ok(info)) return info;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`state never reached: ${JSON.stringify((await inspect(id)).State)}`);
  };

  test("kill -9 of wharfd: running containers keep running and are fully usable again", async () => {
    const interactive = await d.api.run(
      {
        Image: "busybox",
        Cmd: ["sh", "-c", "echo before; while read l; do echo echo:$l; done; exit 9"],
        OpenStdin: true,
      },
      "lr-interactive",
    );
    const sleeper = await d.api.run({ Image: "busybox", Cmd: ["sleep", "600"] }, "lr-sleeper");
    const short = await d.api.run({ Image: "busybox", Cmd: ["sh", "-c", "sleep 1; exit 4"] }, "lr-short");
    const always = await d.api.run(
      { Image: "busybox", Cmd: ["sleep", "600"], HostConfig: { RestartPolicy: { Name: "always" } } },
      "lr-always",
    );
    const stoppedAlways = await d.api.run(
      { Image: "busybox", Cmd: ["sleep", "600"], HostConfig: { RestartPolicy: { Name: "unless-stopped" } } },
      "lr-stopped",
    );
    await d.api.ok("POST", `/containers/${stoppedAlways}/stop?t=0`);
    // As Docker: a daemon start brings back an `always` container even if it was stopped by hand.
    const manualAlways = await d.api.run(
      { Image: "busybox", Cmd: ["sleep", "600"], HostConfig: { RestartPolicy: { Name: "always" } } },
      "lr-manual-always",
    );
    await d.api.ok("POST", `/containers/${manualAlways}/stop?t=0`);
    // Fails once (while wharfd is down), then stays up: on-failure restarts it at daemon start.
    const onFailure = await d.api.run(
      {
        Image: "busybox",
        Cmd: ["sh", "-c", "test -e /once && exec sleep 600; touch /once; sleep 1; exit 5"],
        HostConfig: { RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 } },
      },
      "lr-on-failure",
    );
    const pids = {
      interactive: (await inspect(interactive)).State.Pid,
      sleeper: (await inspect(sleeper)).State.Pid,
      always: (await inspect(always)).State.Pid,
      short: (await inspect(short)).State.Pid,
      onFailure: (await inspect(onFailure)).State.Pid,
    };

    await d.crash();
    // While wharfd is down: two containers exit by themselves, one is killed from outside.
    process.kill(pids.always, "SIGKILL");
    // Ended: no process, or a zombie its monitor has not reaped yet.
    const gone = (pid: number) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
      } catch {
        return true;
      }
    };
    for (let i = 0; i < 100 && !(gone(pids.short) && gone(pids.onFailure)); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(gone(pids.short) && gone(pids.onFailure), "the short containers ended while wharfd was down");
    for (const pid of [pids.interactive, pids.sleeper]) assert.doesNotThrow(() => process.kill(pid, 0));
    const restartedAt = Date.now();
    await d.restart();

    // Same processes, still running.
    assert.equal((await inspect(interactive)).State.Pid, pids.interactive);
    assert.equal((await inspect(sleeper)).State.Running, true);
    // The exit that happened meanwhile, with its true code.
    const exited = await inspect(short);
    assert.equal(exited.State.Status, "exited");
    assert.equal(exited.State.ExitCode, 4);
    // What its run held is released at re-adoption: no rootfs mount, no network namespace.
    const mounts = readFileSync("/proc/self/mounts", "utf8");
    assert.ok(
      !mounts.includes(`${d.dataRoot}/snapshots/${short}/`),
      "rootfs of the exited container unmounted",
    );
    assert.ok(!mounts.includes(`${d.execRoot}/netns/${short}`), "its network namespace released");
    assert.ok(mounts.includes(`${d.dataRoot}/snapshots/${sleeper}/`), "a running one keeps its rootfs");
    // Its true finish time (conmon's exit file), not the moment wharfd noticed.
    assert.ok(Date.parse(exited.State.FinishedAt) < restartedAt, exited.State.FinishedAt);
    assert.ok(Date.parse(exited.State.FinishedAt) > 0);
    // restart=always came back (a new process); the manually stopped one did not.
    // (Status, not Running: as Docker's, Running is also true while a restart is pending.)
    const back = await until(always, (i) => i.State.Status === "running" && i.State.Pid !== pids.always);
    assert.ok(back.State.Pid > 0);
    assert.equal((await inspect(stoppedAlways)).State.Status, "exited");
    await until(manualAlways, (i) => i.State.Status === "running");
    const failedOnce = await until(
      onFailure,
      (i) => i.State.Status === "running" && i.State.Pid !== pids.onFailure,
    );
    assert.ok(failedOnce.State.Pid > 0);

    // logs, exec, attach with stdin, stop with the exit code.
    assert.equal(
      demux((await d.api.call("GET", `/containers/${interactive}/logs?stdout=1`)).body).stdout,
      "before\n",
    );
    const { Id: execId } = await d.api.ok<{ Id: string }>("POST", `/containers/${sleeper}/exec`, {
      Cmd: ["sh", "-c", "exit 6"],
    });
    await (await hijack(d.socket, `/v1.41/exec/${execId}/start`, { Detach: false })).rest();
    assert.equal((await d.api.ok<{ ExitCode: number }>("GET", `/exec/${execId}/json`)).ExitCode, 6);

    const conn = await hijack(d.socket, `/v1.41/containers/${interactive}/attach?stream=1&stdin=1&stdout=1`);
    conn.socket.write("hello\n");
    await conn.until((b) => demux(b).stdout.includes("echo:hello"));
    conn.socket.destroy();
    assert.equal((await d.api.call("POST", `/containers/${sleeper}/stop?t=1`)).status, 204);
    assert.equal((await inspect(sleeper)).State.ExitCode, 137);
    // Nothing ran twice: one process per container.
    const top = await d.api.ok<{ Processes: string[][] }>("GET", `/containers/${interactive}/top`);
    assert.equal(top.Processes.length, 1);
  });
});
