// Container endpoints against a real wharfd (runc, conmon, overlayfs, cgroups).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { demux } from "../../helpers/api.ts";
import { cgroupLeaks, isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";

const skip = !isRoot() && "needs root";

interface InspectShape {
  Id: string;
  Name: string;
  Path: string;
  Args: string[];
  Image: string;
  State: { Status: string };
  Config: { Image: string; Labels: Record<string, string>; Hostname: string; Env: string[] };
  HostConfig: { NetworkMode: string };
  GraphDriver: { Name: string };
}

describe("containers", { skip }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  const sh = (script: string, extra: Record<string, unknown> = {}) => ({
    Image: "busybox",
    Cmd: ["sh", "-c", script],
    ...extra,
  });

  test("run, wait and logs: exit code and separate stdout/stderr", async () => {
    const id = await d.api.run(sh("echo out; echo err >&2; exit 3"));
    assert.equal(await d.api.waitExit(id), 3);
    const logs = await d.api.call("GET", `/containers/${id}/logs?stdout=1&stderr=1`);
    assert.equal(logs.status, 200);
    assert.deepEqual(demux(logs.body), { stdout: "out\n", stderr: "err\n" });
    const stdoutOnly = demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1`)).body);
    assert.deepEqual(stdoutOnly, { stdout: "out\n", stderr: "" });
    const info = await d.api.ok<{ State: Record<string, unknown> }>("GET", `/containers/${id}/json`);
    assert.equal(info.State.Status, "exited");
    assert.equal(info.State.ExitCode, 3);
    assert.equal(info.State.Running, false);
    assert.notEqual(info.State.FinishedAt, "0001-01-01T00:00:00Z");
    await d.api.ok("DELETE", `/containers/${id}`);
    assert.equal((await d.api.call("GET", `/containers/${id}/json`)).status, 404);
  });

  test("NetworkDisabled (docker-py's network_disabled): only a loopback, whatever NetworkMode", async () => {
    const id = await d.api.run({ ...sh("ip -o link | cut -d: -f2"), NetworkDisabled: true });
    assert.equal(await d.api.waitExit(id), 0);
    assert.equal(demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1`)).body).stdout, " lo\n");
    await d.api.ok("DELETE", `/containers/${id}`);
  });

  test("KernelMemory (API 1.41 clients still send it) is accepted with Docker's warning, not applied", async () => {
    const res = await d.api.call("POST", "/containers/create", {
      ...sh("true"),
      HostConfig: { KernelMemory: 64 << 20 },
    });
    assert.equal(res.status, 201, res.text());
    const { Id, Warnings } = res.json<{ Id: string; Warnings: string[] }>();
    assert.deepEqual(Warnings, [
      "Specifying a kernel memory limit is deprecated and will be removed in a future release.",
    ]);
    await d.api.ok("DELETE", `/containers/${Id}`);
  });

  test("logs: tail, timestamps, since, and a TTY container's raw stream", async () => {
    const id = await d.api.run(sh("for i in 1 2 3 4 5; do echo line$i; done"));
    await d.api.waitExit(id);
    const tail = demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1&tail=2`)).body).stdout;
    assert.equal(tail, "line4\nline5\n");
    const stamped = demux(
      (await d.api.call("GET", `/containers/${id}/logs?stdout=1&timestamps=1&tail=1`)).body,
    ).stdout;
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line5\n$/);
    const future = Math.floor(Date.now() / 1000) + 100;
    assert.equal((await d.api.call("GET", `/containers/${id}/logs?stdout=1&since=${future}`)).body.length, 0);
    const none = await d.api.call("GET", `/containers/${id}/logs`);
    assert.equal(none.status, 400);

    const tty = await d.api.run({ Image: "busybox", Cmd: ["sh", "-c", "echo tty"], Tty: true });
    await d.api.waitExit(tty);
    const raw = await d.api.call("GET", `/containers/${tty}/logs?stdout=1&stderr=1`);
    assert.equal(raw.text().trim(), "tty");
  });

  test("logs follow ends when the container exits", async () => {
    const id = await d.api.run(sh("echo a; sleep 0.5; echo b"));
    const res = await d.api.call("GET", `/containers/${id}/logs?stdout=1&follow=1`);
    assert.equal(demux(res.body).stdout, "a\nb\n");
  });

  test("create: Docker's errors for bad input", async () => {
    const missing = await d.api.call("POST", "/containers/create", { Image: "nosuchimage:1" });
    assert.equal(missing.status, 404);
    assert.match(missing.json<{ message: string }>().message, /No such image: nosuchimage:1/);

    const badJson = await d.api.call("POST", "/containers/create", Buffer.from("{nope"), {
      headers: { "Content-Type": "application/json" },
    });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.headers["content-type"], "application/json");

    const wrongType = await d.api.call("POST", "/containers/create", { Image: "busybox", Env: "A=1" });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.json<{ message: string }>().message, /Env/);

    const wrongHost = await d.api.call("POST", "/containers/create", {
      Image: "busybox",
      HostConfig: { Memory: "1g" },
    });
    assert.equal(wrongHost.status, 400);
    assert.match(wrongHost.json<{ message: string }>().message, /HostConfig\.Memory/);

    const badName = await d.api.call("POST", "/containers/create?name=-bad", { Image: "busybox" });
    assert.equal(badName.status, 400);

    await d.api.ok("POST", "/containers/create?name=taken", { Image: "busybox" });
    const conflict = await d.api.call("POST", "/containers/create?name=taken", { Image: "busybox" });
    assert.equal(conflict.status, 409);
    assert.match(
      conflict.json<{ message: string }>().message,
      /"\/taken" is already in use by container "[0-9a-f]{64}"/,
    );
    await d.api.ok("DELETE", "/containers/taken");

    const tiny = await d.api.call("POST", "/containers/create", {
      Image: "busybox",
      HostConfig: { Memory: 1024 },
    });
    assert.equal(tiny.status, 400);
    // Refused at create, as Docker does, not left to fail at start.
    const refusedAtCreate = async (body: Record<string, unknown>) => {
      const res = await d.api.call("POST", "/containers/create", {
        Image: "busybox",
        Cmd: ["true"],
        ...body,
      });
      return [res.status, res.json<{ message: string }>().message];
    };
    assert.deepEqual(await refusedAtCreate({ HostConfig: { CapAdd: ["NOPE"] } }), [
      400,
      'invalid CapAdd: unknown capability: "CAP_NOPE"',
    ]);
    assert.deepEqual(await refusedAtCreate({ HostConfig: { CapDrop: ["nope"] } }), [
      400,
      'invalid CapDrop: unknown capability: "CAP_NOPE"',
    ]);
    assert.deepEqual(await refusedAtCreate({ StopSignal: "SIGNOPE" }), [400, "Invalid signal: SIGNOPE"]);
    assert.deepEqual(await refusedAtCreate({ HostConfig: { Memory: -5 } }), [
      400,
      "Minimum memory limit allowed is 6MB",
    ]);
    assert.deepEqual(await refusedAtCreate({ HostConfig: { SecurityOpt: ["seccomp={bad"] } }), [
      400,
      "Decoding seccomp profile failed: Expected property name or '}' in JSON at position 1 (line 1 column 2)",
    ]);
    assert.deepEqual(await refusedAtCreate({ HostConfig: { SecurityOpt: ['seccomp={"syscalls":[]}'] } }), [
      400,
      "Decoding seccomp profile failed: defaultAction is required",
    ]);
    // Docker's CheckForJSON: a body must be declared as JSON.
    const notJson = await d.api.call("POST", "/containers/create", Buffer.from('{"Image":"busybox"}'), {
      headers: { "Content-Type": "text/plain" },
    });
    assert.deepEqual(
      [notJson.status, notJson.json<{ message: string }>().message],
      [400, "Content-Type specified (text/plain) must be 'application/json'"],
    );
    for (const [HostConfig, message] of [
      [{ PidMode: "bogus" }, "invalid PID mode: bogus"],
      [{ IpcMode: "bogus" }, "invalid IPC mode: bogus"],
      [{ CgroupnsMode: "bogus" }, "invalid cgroup namespace mode: bogus"],
      [{ PidMode: "container:no-such-container" }, "No such container: no-such-container"],
      [{ DeviceCgroupRules: ["x 1:2 rwm"] }, "invalid device cgroup format 'x 1:2 rwm'"],
      [
        { LogConfig: { Type: "nosuch" } },
        'error looking up logging plugin nosuch: plugin "nosuch" not found',
      ],
    ] as const) {
      assert.deepEqual(await refusedAtCreate({ HostConfig }), [400, message]);
    }
    for (const HostPort of ["abc", "70000", "90-80"]) {
      assert.deepEqual(
        await refusedAtCreate({ HostConfig: { PortBindings: { "80/tcp": [{ HostPort }] } } }),
        [400, `invalid port specification: "${HostPort}"`],
      );
    }
    const rtSignal = await d.api.call("POST", "/containers/create", {
      Image: "busybox",
      StopSignal: "SIGRTMIN+3",
    });
    assert.equal(rtSignal.status, 201, rtSignal.text());
    await d.api.ok("DELETE", `/containers/${rtSignal.json<{ Id: string }>().Id}`);
    const rmPolicy = await d.api.call("POST", "/containers/create", {
      Image: "busybox",
      HostConfig: { AutoRemove: true, RestartPolicy: { Name: "always" } },
    });
    assert.equal(rmPolicy.status, 400);
  });

  test("a missing executable: 400, state stays created with the error, nothing mounted", async () => {
    const { Id } = await d.api.ok<{ Id: string }>("POST", "/containers/create", {
      Image: "busybox",
      Cmd: ["nosuchcmd"],
    });
    const res = await d.api.call("POST", `/containers/${Id}/start`);
    assert.equal(res.status, 400);
    assert.match(
      res.json<{ message: string }>().message,
      /exec: "nosuchcmd": executable file not found in \$PATH/,
    );
    const info = await d.api.ok<{ State: { Status: string; ExitCode: number; Error: string } }>(
      "GET",
      `/containers/${Id}/json`,
    );
    assert.equal(info.State.Status, "created");
    assert.equal(info.State.ExitCode, 127);
    assert.match(info.State.Error, /executable file not found/);
    const { readdirSync, readFileSync } = await import("node:fs");
    assert.ok(
      !readFileSync("/proc/self/mounts", "utf8").includes(Id),
      "rootfs still mounted after a failed start",
    );
    // Nor a cgroup, nor a monitor: the failed start took down what it set up.
    assert.deepEqual(cgroupLeaks([Id]), []);
    const monitors = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return (
            readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("conmon") &&
            readFileSync(`/proc/${p}/cmdline`, "utf8").includes(Id)
          );
        } catch {
          return false;
        }
      });
    assert.deepEqual(monitors, []);
    await d.api.ok("DELETE", `/containers/${Id}`);

    // With AutoRemove the failed container is removed, and a waiter on "removed" gets its code.
    const rm = await d.api.ok<{ Id: string }>("POST", "/containers/create", {
      Image: "busybox",
      Cmd: ["nosuchcmd"],
      HostConfig: { AutoRemove: true },
    });
    const removed = d.api.call("POST", `/containers/${rm.Id}/wait?condition=removed`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await d.api.call("POST", `/containers/${rm.Id}/start`)).status, 400);
    assert.deepEqual((await removed).json(), { Error: null, StatusCode: 127 });
    assert.equal((await d.api.call("GET", `/containers/${rm.Id}/json`)).status, 404);
  });

  test("stop: signal first, SIGKILL after the timeout; 304 when already stopped", async () => {
    const graceful = await d.api.run(sh("trap 'exit 7' TERM; while :; do sleep 0.1; done"));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await d.api.call("POST", `/containers/${graceful}/stop?t=5`)).status, 204);
    assert.equal(
      (await d.api.ok<{ State: { ExitCode: number } }>("GET", `/containers/${graceful}/json`)).State.ExitCode,
      7,
    );
    assert.equal((await d.api.call("POST", `/containers/${graceful}/stop`)).status, 304);

    const stubborn = await d.api.run({ Image: "busybox", Cmd: ["sleep", "60"] });
    const started = Date.now();
    assert.equal((await d.api.call("POST", `/containers/${stubborn}/stop?t=1`)).status, 204);
    assert.ok(Date.now() - started >= 900);
    assert.equal(
      (await d.api.ok<{ State: { ExitCode: number } }>("GET", `/containers/${stubborn}/json`)).State.ExitCode,
      137,
    );
  });

  test("kill, restart, rename, and removing a running container", async () => {
    const id = await d.api.run(sh("trap 'echo got-hup' HUP; while :; do sleep 0.1; done"), "killme");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await d.api.call("POST", `/containers/${id}/kill?signal=HUP`)).status, 204);
    await new Promise((r) => setTimeout(r, 500));
    assert.match(demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1`)).body).stdout, /got-hup/);
    assert.equal((await d.api.call("POST", `/containers/${id}/kill?signal=NOPE`)).status, 400);

    const before = (await d.api.ok<{ State: { Pid: number } }>("GET", `/containers/${id}/json`)).State.Pid;
    assert.equal((await d.api.call("POST", `/containers/${id}/restart?t=0`)).status, 204);
    const afterInfo = await d.api.ok<{ State: { Pid: number; Running: boolean } }>(
      "GET",
      `/containers/${id}/json`,
    );
    assert.ok(afterInfo.State.Running);
    assert.notEqual(afterInfo.State.Pid, before);

    assert.equal((await d.api.call("POST", `/containers/${id}/rename?name=renamed`)).status, 204);
    assert.equal((await d.api.ok<{ Name: string }>("GET", "/containers/renamed/json")).Name, "/renamed");

    const refused = await d.api.call("DELETE", "/containers/renamed");
    assert.equal(refused.status, 409);
    assert.match(refused.json<{ message: string }>().message, /You cannot remove a running container/);
    assert.equal((await d.api.call("DELETE", "/containers/renamed?force=1")).status, 204);
    assert.equal((await d.api.call("POST", `/containers/${id}/kill`)).status, 404);
  });

  test("wait conditions: next-exit before start, removed with AutoRemove", async () => {
    const { Id } = await d.api.ok<{ Id: string }>("POST", "/containers/create", {
      ...sh("exit 5"),
      HostConfig: { AutoRemove: true },
    });
    const removed = d.api.call("POST", `/containers/${Id}/wait?condition=removed`);
    const nextExit = d.api.call("POST", `/containers/${Id}/wait?condition=next-exit`);
    await new Promise((r) => setTimeout(r, 100));
    await d.api.ok("POST", `/containers/${Id}/start`);
    assert.deepEqual((await nextExit).json(), { Error: null, StatusCode: 5 });
    assert.deepEqual((await removed).json(), { Error: null, StatusCode: 5 });
    assert.equal((await d.api.call("GET", `/containers/${Id}/json`)).status, 404);
    assert.equal((await d.api.call("POST", `/containers/${Id}/wait?condition=bogus`)).status, 400);
  });

  test("list: all, limit, size and filters", async () => {
    const a = await d.api.run(
      { Image: "busybox", Cmd: ["sleep", "60"], Labels: { suite: "list", role: "a" } },
      "list-a",
    );
    const b = await d.api.run({ ...sh("exit 2"), Labels: { suite: "list", role: "b" } }, "list-b");
    await d.api.waitExit(b);
    const running = await d.api.ok<Array<{ Id: string }>>("GET", "/containers/json");
    assert.ok(running.some((c) => c.Id === a) && !running.some((c) => c.Id === b));
    const q = (f: unknown) => `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(f))}`;
    const ids = async (f: unknown) =>
      (await d.api.ok<Array<{ Id: string }>>("GET", q(f))).map((c) => c.Id).sort();
    assert.deepEqual(await ids({ label: ["suite=list"] }), [a, b].sort());
    assert.deepEqual(await ids({ label: { "role=b": true } }), [b]);
    assert.deepEqual(await ids({ status: { exited: true }, label: ["suite=list"] }), [b]);
    assert.deepEqual(await ids({ exited: ["2"], label: ["suite=list"] }), [b]);
    assert.deepEqual(await ids({ name: ["list-a"] }), [a]);
    assert.deepEqual(await ids({ id: [a.slice(0, 10)] }), [a]);
    assert.deepEqual((await ids({ ancestor: ["busybox"], label: ["suite=list"] })).length, 2);
    assert.deepEqual(await ids({ name: ["^/list-a$"] }), [a]);
    assert.deepEqual(await ids({ name: ["^list-a$"] }), [a]);
    assert.deepEqual(await ids({ name: ["["] }), [], "an invalid expression matches nothing");
    assert.deepEqual(await ids({ id: [a.slice(5, 20)] }), [a], "id is matched as Go's regexp, anywhere");
    assert.deepEqual(await ids({ before: ["list-b"], label: ["suite=list"] }), [a]);
    assert.deepEqual(await ids({ since: ["list-a"], label: ["suite=list"] }), [b]);
    // What Docker refuses: 400 (404 for an unknown before/since container), never a silent [].
    const refused = async (f: unknown) => {
      const res = await d.api.call("GET", q(f));
      return [res.status, res.json<{ message: string }>().message];
    };
    assert.deepEqual(await refused({ bogus: ["x"] }), [400, "invalid filter 'bogus'"]);
    assert.deepEqual(await refused({ status: ["bogus"] }), [400, "invalid filter 'status=bogus'"]);
    assert.deepEqual(await refused({ health: ["sick"] }), [400, "invalid filter 'health=sick'"]);
    assert.deepEqual(await refused({ exited: ["x"] }), [400, 'strconv.Atoi: parsing "x": invalid syntax']);
    assert.deepEqual(await refused({ before: ["no-such-ctr"] }), [404, "No such container: no-such-ctr"]);
    const limited = await d.api.ok<unknown[]>("GET", "/containers/json?all=1&limit=1");
    assert.equal(limited.length, 1);
    const sized = await d.api.ok<
      Array<{
        Id: string;
        SizeRw: number;
        SizeRootFs: number;
        Names: string[];
        State: string;
        Status: string;
      }>
    >("GET", "/containers/json?all=True&size=1");
    const row = sized.find((c) => c.Id === a);
    assert.ok(row && typeof row.SizeRw === "number" && row.SizeRootFs > 1_000_000);
    assert.deepEqual(row.Names, ["/list-a"]);
    assert.equal(row.State, "running");
    assert.match(row.Status, /^Up /);
    await d.api.ok("DELETE", `/containers/${a}?force=1`);
    await d.api.ok("DELETE", `/containers/${b}`);
  });

  test("runtime config: env, user, workdir, hostname, limits, read-only rootfs, isolation", async () => {
    const script = [
      "echo env=$FOO",
      "echo user=$(id -u):$(id -g)",
      "echo pwd=$(pwd)",
      "echo host=$(hostname)",
      "echo mem=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max)",
      "echo pids=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max)",
      "echo ifaces=$(ls /sys/class/net | tr '\\n' ' ')",
      "touch /rootfs-write 2>/dev/null && echo rw=yes || echo rw=no",
      "echo pid1=$(cat /proc/1/comm)",
    ].join("; ");
    const id = await d.api.run({
      ...sh(script),
      Env: ["FOO=bar"],
      User: "nobody",
      WorkingDir: "/tmp",
      Hostname: "box1",
      HostConfig: { Memory: 64 * 1024 * 1024, PidsLimit: 50, ReadonlyRootfs: true, NetworkMode: "none" },
    });
    assert.equal(await d.api.waitExit(id), 0);
    const out = demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1&stderr=1`)).body).stdout;
    assert.match(out, /env=bar/);
    assert.match(out, /user=65534:65534/);
    assert.match(out, /pwd=\/tmp/);
    assert.match(out, /host=box1/);
    assert.match(out, /mem=67108864/);
    assert.match(out, /pids=50/);
    assert.match(out, /ifaces=lo\s*$/m);
    assert.match(out, /rw=no/);
    assert.match(out, /pid1=sh/);
    await d.api.ok("DELETE", `/containers/${id}`);

    const init = await d.api.run({ ...sh("cat /proc/1/cmdline | tr '\\0' ' '"), HostConfig: { Init: true } });
    await d.api.waitExit(init);
    assert.match(
      demux((await d.api.call("GET", `/containers/${init}/logs?stdout=1`)).body).stdout,
      /docker-init/,
    );
    await d.api.ok("DELETE", `/containers/${init}`);
  });

  test("runtime config: cpu shares, ulimits, capabilities, privileged; stop uses StopSignal", async () => {
    const script = [
      "echo shares=$(cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/cpu.weight)",
      "echo nofile=$(ulimit -n)",
      "echo capeff=$(grep CapEff /proc/self/status | cut -f2)",
    ].join("; ");
    const id = await d.api.run({
      ...sh(script),
      HostConfig: {
        CpuShares: 512,
        Ulimits: [{ Name: "nofile", Soft: 1234, Hard: 2345 }],
        CapDrop: ["ALL"],
        CapAdd: ["NET_RAW", "chown"],
        NetworkMode: "none",
      },
    });
    await d.api.waitExit(id);
    const out = demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1`)).body).stdout;
    // cgroup v2 turns shares into a weight: 1 + ((512 - 2) * 9999) / 262142 = 20.
    assert.match(out, /^shares=(512|20)$/m);
    assert.match(out, /^nofile=1234$/m);
    // CAP_CHOWN (bit 0) and CAP_NET_RAW (bit 13) only.
    assert.match(out, /^capeff=0000000000002001$/m);
    await d.api.ok("DELETE", `/containers/${id}`);

    const priv = await d.api.run({
      ...sh("grep CapEff /proc/self/status | cut -f2; ls /dev | wc -l"),
      HostConfig: { Privileged: true, NetworkMode: "none" },
    });
    await d.api.waitExit(priv);
    const [capEff, devices] = demux((await d.api.call("GET", `/containers/${priv}/logs?stdout=1`)).body)
      .stdout.trim()
      .split("\n");
    assert.notEqual(capEff, "00000000a80425fb", "privileged gets more than the default set");
    assert.ok(Number(devices) > 20, "privileged sees the host's devices");
    await d.api.ok("DELETE", `/containers/${priv}`);

    // stop sends the container's StopSignal (USR1 here), which the trap turns into exit 9.
    const stopper = await d.api.run({
      ...sh("trap 'exit 9' USR1; trap '' TERM; echo ready; while :; do sleep 0.1; done"),
      StopSignal: "SIGUSR1",
      StopTimeout: 30,
    });
    for (let i = 0; i < 50; i++) {
      if (demux((await d.api.call("GET", `/containers/${stopper}/logs?stdout=1`)).body).stdout) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await d.api.call("POST", `/containers/${stopper}/stop`)).status, 204);
    const stopped = await d.api.ok<{
      State: { ExitCode: number };
      Config: { StopSignal: string; StopTimeout: number };
    }>("GET", `/containers/${stopper}/json`);
    assert.equal(stopped.State.ExitCode, 9);
    assert.deepEqual([stopped.Config.StopSignal, stopped.Config.StopTimeout], ["SIGUSR1", 30]);
    await d.api.ok("DELETE", `/containers/${stopper}`);
  });

  test("OOM kills are recorded", async () => {
    const id = await d.api.run({
      ...sh("x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"),
      HostConfig: { Memory: 16 * 1024 * 1024, MemorySwap: 16 * 1024 * 1024 },
    });
    const code = await d.api.waitExit(id);
    const info = await d.api.ok<{ State: { OOMKilled: boolean } }>("GET", `/containers/${id}/json`);
    assert.equal(info.State.OOMKilled, true, `exit ${code}, expected an OOM kill`);
    await d.api.ok("DELETE", `/containers/${id}`);
  });

  test("restart policy on-failure:2 restarts twice", async () => {
    const id = await d.api.run({
      ...sh("exit 1"),
      HostConfig: { RestartPolicy: { Name: "on-failure", MaximumRetryCount: 2 } },
    });
    const deadline = Date.now() + 15_000;
    let info = await d.api.ok<{ RestartCount: number; State: { Status: string } }>(
      "GET",
      `/containers/${id}/json`,
    );
    while (Date.now() < deadline && !(info.RestartCount === 2 && info.State.Status === "exited")) {
      await new Promise((r) => setTimeout(r, 100));
      info = await d.api.ok("GET", `/containers/${id}/json`);
    }
    assert.equal(info.RestartCount, 2);
    assert.equal(info.State.Status, "exited");
    await d.api.ok("DELETE", `/containers/${id}`);
  });

  test("prune removes stopped containers only", async () => {
    const stopped = await d.api.run({ ...sh("true"), Labels: { prune: "yes" } });
    await d.api.waitExit(stopped);
    const running = await d.api.run({ Image: "busybox", Cmd: ["sleep", "60"], Labels: { prune: "yes" } });
    const res = await d.api.ok<{ ContainersDeleted: string[] }>(
      "POST",
      `/containers/prune?filters=${encodeURIComponent('{"label":["prune=yes"]}')}`,
    );
    assert.deepEqual(res.ContainersDeleted, [stopped]);
    await d.api.ok("DELETE", `/containers/${running}?force=1`);
  });

  test("prune: label! keeps what it names; a filter it does not know deletes nothing", async () => {
    const create = async (labels: Record<string, string>) =>
      (await d.api.ok<{ Id: string }>("POST", "/containers/create", { Image: "busybox", Labels: labels })).Id;
    const keep = await create({ pruneneg: "yes", keep: "1" });
    const drop = await create({ pruneneg: "yes" });
    const prune = (f: unknown) =>
      d.api.call("POST", `/containers/prune?filters=${encodeURIComponent(JSON.stringify(f))}`);
    const bogus = await prune({ bogus: ["1"] });
    assert.equal(bogus.status, 400);
    assert.equal(bogus.json<{ message: string }>().message, "invalid filter 'bogus'");
    assert.equal((await d.api.call("GET", `/containers/${drop}/json`)).status, 200);
    assert.equal((await prune({ until: ["not-a-time"] })).status, 400);
    const res = await prune({ label: ["pruneneg=yes"], "label!": ["keep=1"] });
    assert.equal(res.status, 200, res.text());
    assert.deepEqual(res.json<{ ContainersDeleted: string[] }>().ContainersDeleted, [drop]);
    // until: only containers created before the given time.
    const old = await prune({ label: ["pruneneg=yes"], until: ["1h"] });
    assert.deepEqual(old.json(), { ContainersDeleted: null, SpaceReclaimed: 0 }, "null when none, as Docker");
    await d.api.ok("DELETE", `/containers/${keep}`);
  });

  test("logs are bounded by LogConfig max-size (conmon's log-size-max)", async () => {
    const bad = await d.api.call("POST", "/containers/create", {
      Image: "busybox",
      HostConfig: { LogConfig: { Type: "json-file", Config: { "max-size": "lots" } } },
    });
    assert.equal(bad.status, 400);
    const id = await d.api.run({
      ...sh("i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done"),
      HostConfig: { LogConfig: { Type: "json-file", Config: { "max-size": "8k" } } },
    });
    await d.api.waitExit(id);
    const { LogPath } = await d.api.ok<{ LogPath: string }>("GET", `/containers/${id}/json`);
    const { statSync } = await import("node:fs");
    assert.ok(statSync(LogPath).size <= 16 * 1024, `log grew to ${statSync(LogPath).size} bytes`);
    const lines = demux((await d.api.call("GET", `/containers/${id}/logs?stdout=1`)).body).stdout.split("\n");
    assert.ok(lines.length < 3000 && lines.includes("line-2999"), "the newest lines are kept");
    await d.api.ok("DELETE", `/containers/${id}`);
  });

  test("inspect shape", async () => {
    const { Id } = await d.api.ok<{ Id: string }>("POST", "/containers/create?name=shape", {
      Image: "busybox",
      Cmd: ["true"],
      Labels: { a: "b" },
      HostConfig: { IpcMode: "", ShmSize: 0, PidsLimit: 0, LogConfig: { Type: "", Config: {} } },
    });
    const info = await d.api.ok<InspectShape>("GET", "/containers/shape/json");
    assert.equal(info.Id, Id);
    assert.equal(info.Name, "/shape");
    assert.equal(info.Path, "true");
    assert.deepEqual(info.Args, []);
    assert.equal(info.State.Status, "created");
    assert.match(info.Image, /^sha256:[0-9a-f]{64}$/);
    assert.equal(info.Config.Image, "busybox");
    assert.deepEqual(info.Config.Labels, { a: "b" });
    assert.equal(info.HostConfig.NetworkMode, "default");
    // What moby fills in when a client (the docker CLI sends "" and 0) leaves them empty.
    const hc = info.HostConfig as unknown as Record<string, unknown>;
    assert.equal(hc.IpcMode, "private");
    assert.equal(hc.ShmSize, 64 * 1024 * 1024);
    assert.ok(["host", "private"].includes(hc.CgroupnsMode as string));
    assert.ok(((hc.LogConfig as { Type: string }).Type ?? "") !== "");
    assert.equal(hc.PidsLimit, null);
    assert.ok((hc.MaskedPaths as string[]).includes("/proc/kcore"));
    assert.ok((hc.ReadonlyPaths as string[]).includes("/proc/sys"));
    assert.equal(info.GraphDriver.Name, "overlay2");
    assert.equal(info.Config.Hostname, Id.slice(0, 12));
    assert.ok(Array.isArray(info.Config.Env) && info.Config.Env.some((e) => e.startsWith("PATH=")));
    assert.equal((await d.api.ok<InspectShape>("GET", `/containers/${Id.slice(0, 8)}/json`)).Id, Id);
    await d.api.ok("DELETE", `/containers/${Id}`);
  });
});
