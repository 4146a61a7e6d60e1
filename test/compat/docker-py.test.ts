// The Docker SDK for Python (Debian's python3-docker 5.0.3, unchanged) against wharfd: small
// scripts run by /usr/bin/python3 make the calls Python apps make — containers.run, exec_run,
// attach sockets and log streams, images.build from a path, images, networks, volumes, filtered
// lists, archives, events and the SDK's exceptions — and print JSON this test checks.
// /usr/bin/python3 on purpose: the `python3` on PATH may be another Python with another `docker`.
// Set WHARF_TEST_SOCKET to a reference dockerd's socket to run the same checks against Docker.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { importBusybox } from "../helpers/images.ts";
import { writeHtpasswd } from "../integration/distribution/helpers.ts";
import { startTestRegistry, type TestRegistry } from "../integration/registry/helpers.ts";

const PYTHON = "/usr/bin/python3";
/** The longest one script may run; then it is killed and the test fails. */
const SCRIPT_LIMIT_MS = 120_000;

/** Why the suite cannot run here, or false. */
function unavailable(): string | false {
  if (!isRoot()) return "needs root";
  try {
    execFileSync(PYTHON, ["-c", "import docker"], { stdio: "ignore", timeout: 30_000, env: {} });
    return false;
  } catch {
    return `${PYTHON} cannot import docker (apt-get install python3-docker)`;
  }
}

/** Every script starts with this: the client on the test's socket, and the test's arguments. */
const PRELUDE = `
import json, sys
import docker
client = docker.DockerClient(base_url="unix://" + sys.argv[1], timeout=60)
args = json.loads(sys.argv[2])
def emit(value):
    print(json.dumps(value))
`;

describe("Docker SDK for Python against the daemon", { skip: unavailable() }, () => {
  let d: TestDaemon;
  const pid = process.pid;
  const image = `py-busybox-${pid}:latest`;
  const built = `py-built-${pid}:v1`;
  const labelKey = "wharf.test.dockerpy";
  const label = `${labelKey}=${pid}`;
  const images = new Set<string>([image, built]);
  /** Python processes still running: killed in after() whatever happened. */
  const live = new Set<ChildProcess>();
  const home = mkdtempSync(join(tmpdir(), "wharf-test-py-"));
  let seq = 0;
  const name = (what: string) => `py-${what}-${pid}-${++seq}`;

  /** Runs `body` after PRELUDE with `args`; returns what it emitted last, or fails with its stderr. */
  function py<T>(body: string, scriptArgs: Record<string, unknown>): Promise<T> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        PYTHON,
        [
          "-c",
          PRELUDE + body,
          d.socket,
          JSON.stringify({ label: { [labelKey]: String(pid) }, ...scriptArgs }),
        ],
        {
          // A clean environment: no DOCKER_HOST, no pyenv PYTHONPATH, a HOME with no docker config.
          env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: home, LANG: "C.UTF-8" },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      live.add(child);
      let out = "";
      let err = "";
      child.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
      });
      child.stderr?.on("data", (c: Buffer) => {
        err += c.toString();
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), SCRIPT_LIMIT_MS);
      child.on("error", (e) => {
        clearTimeout(timer);
        live.delete(child);
        reject(e);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        live.delete(child);
        const last = out.trim().split("\n").at(-1) ?? "";
        if (code !== 0) {
          reject(
            new Error(`python exited ${code ?? signal}: ${err.slice(-3000)}\nstdout: ${out.slice(-1000)}`),
          );
          return;
        }
        try {
          resolve(JSON.parse(last) as T);
        } catch {
          reject(new Error(`python printed no JSON: ${out.slice(-1000)} ${err.slice(-2000)}`));
        }
      });
    });
  }

  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api, image);
  });

  after(async () => {
    for (const child of live) child.kill("SIGKILL");
    rmSync(home, { recursive: true, force: true });
    if (!d) return;
    try {
      await sweep();
    } finally {
      await d.stop();
    }
  });

  /** Removes whatever the tests made: by label, and by image for what came without the label. */
  async function sweep(): Promise<void> {
    const filters = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));
    const byLabel = filters({ label: [label] });
    for (const f of [byLabel, filters({ ancestor: [image] }), filters({ ancestor: [built] })]) {
      const cs = await d.api.call("GET", `/containers/json?all=1&filters=${f}`);
      for (const c of cs.status === 200 ? cs.json<Array<{ Id: string }>>() : [])
        await d.api.call("DELETE", `/containers/${c.Id}?force=1&v=1`);
    }
    const ns = await d.api.call("GET", `/networks?filters=${byLabel}`);
    for (const n of ns.status === 200 ? ns.json<Array<{ Id: string }>>() : [])
      await d.api.call("DELETE", `/networks/${n.Id}`);
    const vs = await d.api.call("GET", `/volumes?filters=${byLabel}`);
    for (const v of vs.status === 200
      ? (vs.json<{ Volumes: Array<{ Name: string }> | null }>().Volumes ?? [])
      : [])
      await d.api.call("DELETE", `/volumes/${encodeURIComponent(v.Name)}?force=1`);
    for (const ref of images) await d.api.call("DELETE", `/images/${encodeURIComponent(ref)}?force=1`);
  }

  test("client.ping, version, info", async () => {
    const r = await py<{ ping: boolean; api: string; os: string; images: number }>(
      `
v = client.version()
info = client.info()
emit({"ping": client.ping(), "api": v["ApiVersion"], "os": v["Os"], "images": info["Images"]})
`,
      {},
    );
    assert.equal(r.ping, true);
    assert.match(r.api, /^1\.\d+$/);
    assert.equal(r.os, "linux");
    assert.ok(r.images >= 1);
  });

  test("containers.run: attached returns stdout bytes, a failure raises ContainerError; detached then logs, wait, remove", async () => {
    const r = await py<{
      output: string;
      failed: { exit: number; stderr: string };
      waited: number;
      logs: string;
      stdoutOnly: string;
      status: string;
      gone: string;
    }>(
      `
from docker.errors import ContainerError, NotFound
output = client.containers.run(args["image"], ["sh", "-c", "echo out; echo err >&2"], name=args["n1"], labels=args["label"], remove=True)
try:
    client.containers.run(args["image"], ["sh", "-c", "echo bad >&2; exit 3"], labels=args["label"], remove=True)
    failed = None
except ContainerError as e:
    failed = {"exit": e.exit_status, "stderr": e.stderr.decode()}
c = client.containers.run(args["image"], ["sh", "-c", "echo one; echo two >&2; exit 6"], name=args["n2"], labels=args["label"], detach=True)
waited = c.wait()["StatusCode"]
logs = c.logs().decode()
stdout_only = c.logs(stderr=False).decode()
c.reload()
status = c.status
c.remove()
try:
    client.containers.get(args["n2"])
    gone = "still there"
except NotFound as e:
    gone = type(e).__name__
emit({"output": output.decode(), "failed": failed, "waited": waited, "logs": logs, "stdoutOnly": stdout_only, "status": status, "gone": gone})
`,
      { image, n1: name("run"), n2: name("detached") },
    );
    assert.equal(r.output, "out\n", "stdout only, by default");
    assert.deepEqual(r.failed, { exit: 3, stderr: "bad\n" });
    assert.equal(r.waited, 6);
    assert.deepEqual(r.logs.split("\n").sort(), ["", "one", "two"]);
    assert.equal(r.stdoutOnly, "one\n");
    assert.equal(r.status, "exited");
    assert.equal(r.gone, "NotFound");
  });

  test("exec_run: exit code, output, demux, workdir, environment", async () => {
    const r = await py<{
      code: number;
      output: string;
      demuxed: [string, string];
      pwd: string;
      env: string;
      tty: string;
      user: string;
    }>(
      `
c = client.containers.run(args["image"], ["sleep", "300"], name=args["n"], labels=args["label"], detach=True)
res = c.exec_run(["sh", "-c", "echo o; echo e >&2; exit 4"])
dem = c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
pwd = c.exec_run("pwd", workdir="/tmp")
env = c.exec_run(["sh", "-c", "echo $FOO"], environment={"FOO": "bar"})
tty = c.exec_run(["sh", "-c", "tty; echo line"], tty=True)
user = c.exec_run(["id", "-u"], user="nobody")
c.remove(force=True)
emit({"code": res.exit_code, "output": res.output.decode(), "demuxed": [dem.output[0].decode(), dem.output[1].decode()],
      "pwd": pwd.output.decode(), "env": env.output.decode(), "tty": tty.output.decode(), "user": user.output.decode()})
`,
      { image, n: name("exec") },
    );
    assert.equal(r.code, 4);
    assert.deepEqual(r.output.split("\n").sort(), ["", "e", "o"]);
    assert.deepEqual(r.demuxed, ["o\n", "e\n"]);
    assert.equal(r.pwd, "/tmp\n");
    assert.equal(r.env, "bar\n");
    assert.match(r.tty, /^\/dev\/pts\/\d+\r\nline\r\n$/, JSON.stringify(r.tty));
    assert.equal(r.user, "65534\n");
  });

  test("attach_socket with stdin, attach(stream=True) and logs(stream=True, follow=True)", async () => {
    const r = await py<{ frames: Array<[number, string]>; attached: string; followed: string; exit: number }>(
      `
import socket
from docker.utils.socket import frames_iter
c = client.containers.create(args["image"], ["sh", "-c", "cat; echo done >&2"], name=args["n1"], labels=args["label"], stdin_open=True)
s = c.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
c.start()
s._sock.sendall(b"through the socket\\n")
s._sock.shutdown(socket.SHUT_WR)
frames = [[stream, data.decode()] for stream, data in frames_iter(s, tty=False)]
s.close()
exit_code = c.wait()["StatusCode"]
# Attached before the start: docker-py reads the upgrade answer through a buffered reader and
# then the raw socket, so output already waiting when it reads the answer can be lost (seen
# with Docker as with wharfd when attaching with logs=True to a running container).
c2 = client.containers.create(args["image"], ["sh", "-c", "echo a; echo b >&2"], name=args["n2"], labels=args["label"])
attach = c2.attach(stdout=True, stderr=True, stream=True)
c2.start()
attached = b"".join(attach).decode()
c3 = client.containers.run(args["image"], ["sh", "-c", "echo x; sleep 1; echo y"], name=args["n3"], labels=args["label"], detach=True)
followed = b"".join(c3.logs(stream=True, follow=True)).decode()
emit({"frames": frames, "attached": attached, "followed": followed, "exit": exit_code})
`,
      { image, n1: name("sock"), n2: name("attach"), n3: name("follow") },
    );
    const out = r.frames.filter(([s]) => s === 1).map(([, t]) => t);
    const err = r.frames.filter(([s]) => s === 2).map(([, t]) => t);
    assert.equal(out.join(""), "through the socket\n");
    assert.equal(err.join(""), "done\n");
    assert.equal(r.exit, 0);
    assert.deepEqual(r.attached.split("\n").sort(), ["", "a", "b"]);
    assert.equal(r.followed, "x\ny\n");
  });

  test("the low-level APIClient with version='auto', host_config, exec streams; run(stream=True)", async () => {
    const r = await py<{
      negotiated: string;
      restart: { Name: string; MaximumRetryCount: number };
      memory: number;
      execChunks: string;
      execExit: number;
      streamed: string;
      execRunStream: string;
    }>(
      `
api = docker.APIClient(base_url="unix://" + sys.argv[1], version="auto", timeout=60)
negotiated = api.api_version
hc = api.create_host_config(restart_policy={"Name": "on-failure", "MaximumRetryCount": 2}, mem_limit="64m")
cid = api.create_container(args["image"], ["sleep", "300"], name=args["n"], labels=args["label"], host_config=hc,
                           environment={"FROM_PY": "yes"})["Id"]
api.start(cid)
inspect = api.inspect_container(cid)
ex = api.exec_create(cid, ["sh", "-c", "echo $FROM_PY; echo two; exit 5"])
chunks = b"".join(api.exec_start(ex["Id"], stream=True)).decode()
exec_exit = api.exec_inspect(ex["Id"])["ExitCode"]
c = client.containers.get(cid)
exec_run_stream = b"".join(c.exec_run(["sh", "-c", "echo s1; echo s2"], stream=True).output).decode()
api.remove_container(cid, force=True)
streamed = b"".join(client.containers.run(args["image"], ["sh", "-c", "echo l1; echo l2"], labels=args["label"], stream=True)).decode()
emit({"negotiated": negotiated, "restart": inspect["HostConfig"]["RestartPolicy"], "memory": inspect["HostConfig"]["Memory"],
      "execChunks": chunks, "execExit": exec_exit, "streamed": streamed, "execRunStream": exec_run_stream})
`,
      { image, n: name("lowlevel") },
    );
    assert.match(r.negotiated, /^1\.\d+$/);
    assert.deepEqual(r.restart, { Name: "on-failure", MaximumRetryCount: 2 });
    assert.equal(r.memory, 64 * 1024 * 1024);
    assert.equal(r.execChunks, "yes\ntwo\n");
    assert.equal(r.execExit, 5);
    assert.equal(r.execRunStream, "s1\ns2\n");
    assert.equal(r.streamed, "l1\nl2\n");
  });

  test("images.build from a path, then run the image; a failing RUN raises BuildError", async () => {
    const r = await py<{
      id: string;
      tags: string[];
      log: string;
      ran: string;
      label: string;
      error: string;
    }>(
      `
import os, tempfile
from docker.errors import BuildError
ctx = tempfile.mkdtemp()
with open(os.path.join(ctx, "Dockerfile"), "w") as f:
    f.write("FROM %s\\nRUN echo built-by-run > /built.txt\\nCOPY hello.txt /hello.txt\\nCMD [\\"cat\\", \\"/built.txt\\", \\"/hello.txt\\"]\\n" % args["image"])
with open(os.path.join(ctx, "hello.txt"), "w") as f:
    f.write("from the path\\n")
img, logs = client.images.build(path=ctx, tag=args["tag"], rm=True, labels=args["label"])
log = "".join(chunk.get("stream", "") for chunk in logs)
ran = client.containers.run(args["tag"], labels=args["label"], remove=True).decode()
bad = tempfile.mkdtemp()
with open(os.path.join(bad, "Dockerfile"), "w") as f:
    f.write("FROM %s\\nRUN exit 3\\n" % args["image"])
try:
    client.images.build(path=bad, rm=True, forcerm=True, labels=args["label"])
    error = ""
except BuildError as e:
    error = e.msg
emit({"id": img.id, "tags": img.tags, "log": log, "ran": ran, "label": img.labels.get("${labelKey}", ""), "error": error})
`,
      { image, tag: built },
    );
    assert.match(r.id, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(r.tags, [built]);
    assert.match(r.log, /Successfully built [0-9a-f]{12}/);
    assert.equal(r.ran, "built-by-run\nfrom the path\n");
    assert.equal(r.label, String(pid));
    assert.match(r.error, /returned a non-zero code: 3/);
  });

  test("a registry on loopback with auth: login, push, pull", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wharf-py-reg-"));
    let reg: TestRegistry | undefined;
    try {
      await writeHtpasswd(join(dir, "htpasswd"), { alice: "alice-pw" });
      reg = await startTestRegistry({ htpasswd: join(dir, "htpasswd") });
      const host = new URL(reg.url).host;
      const repo = `${host}/alice/py-${pid}`;
      images.add(`${repo}:p1`);
      const r = await py<{
        login: string;
        bad: [number, string];
        pushErrors: string[];
        digest: string;
        pulledId: string;
        id: string;
        digests: string[];
      }>(
        `
from docker.errors import APIError
try:
    client.login("alice", "wrong", registry=args["host"], reauth=True)
    bad = [0, "logged in"]
except APIError as e:
    bad = [e.status_code, e.explanation]
login = client.login("alice", "alice-pw", registry=args["host"], reauth=True)["Status"]
img = client.images.get(args["image"])
img.tag(args["repo"], "p1")
events = list(client.images.push(args["repo"], tag="p1", stream=True, decode=True))
push_errors = [e["error"] for e in events if "error" in e]
digest = next((e["aux"]["Digest"] for e in events if "aux" in e and "Digest" in e["aux"]), "")
client.images.remove(args["repo"] + ":p1")
pulled = client.images.pull(args["repo"], tag="p1")
client.images.remove(args["repo"] + ":p1")  # the next tests count the image's tags
emit({"login": login, "bad": bad, "pushErrors": push_errors, "digest": digest, "pulledId": pulled.id, "id": img.id,
      "digests": pulled.attrs["RepoDigests"]})
`,
        { image, host, repo },
      );
      // Docker 20.10 answers a refused login with a 500, wharfd with the registry's 401.
      assert.ok([401, 500].includes(r.bad[0]), JSON.stringify(r.bad));
      assert.match(r.bad[1], /failed with status: 401 Unauthorized/);
      assert.equal(r.login, "Login Succeeded");
      assert.deepEqual(r.pushErrors, []);
      assert.match(r.digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(r.pulledId, r.id);
      assert.ok(r.digests.includes(`${repo}@${r.digest}`), JSON.stringify(r.digests));
    } finally {
      await reg?.close(); // an open server in this process would keep the test file alive
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("images: list by name, get, tag, remove; ImageNotFound after", async () => {
    const repo = `py-tagged-${pid}`;
    images.add(`${repo}:t2`);
    const r = await py<{
      listed: string[][];
      sameId: boolean;
      tagged: boolean;
      tags: string[];
      after: string;
      stillThere: boolean;
    }>(
      `
from docker.errors import ImageNotFound
listed = [i.tags for i in client.images.list(name=args["image"].split(":")[0])]
img = client.images.get(args["image"])
tagged = img.tag(args["repo"], "t2")
again = client.images.get(args["repo"] + ":t2")
tags = sorted(again.tags)
client.images.remove(args["repo"] + ":t2")
try:
    client.images.get(args["repo"] + ":t2")
    after = "still there"
except ImageNotFound as e:
    after = type(e).__name__
emit({"listed": listed, "sameId": again.id == img.id, "tagged": tagged, "tags": tags, "after": after,
      "stillThere": client.images.get(args["image"]).id == img.id})
`,
      { image, repo },
    );
    assert.deepEqual(r.listed, [[image]]);
    assert.equal(r.sameId, true);
    assert.equal(r.tagged, true);
    assert.deepEqual(r.tags, [image, `${repo}:t2`].sort());
    assert.equal(r.after, "ImageNotFound");
    assert.equal(r.stillThere, true);
  });

  test("networks and volumes: create, list, connect, remove", async () => {
    const r = await py<{
      byName: string[];
      byLabel: string[];
      members: string[];
      cid: string;
      aliases: string[];
      netGone: string;
      volByLabel: string[];
      mountpoint: string;
      read: string;
      volGone: string;
    }>(
      `
from docker.errors import NotFound
net = client.networks.create(args["net"], driver="bridge", labels=args["label"])
by_name = [n.name for n in client.networks.list(names=[args["net"]])]
by_label = [n.name for n in client.networks.list(filters={"label": "${label}"})]
c = client.containers.run(args["image"], ["sleep", "300"], name=args["c"], labels=args["label"], detach=True)
net.connect(c, aliases=["py-alias"])
net.reload()
members = [m.id for m in net.containers]
c.reload()
aliases = c.attrs["NetworkSettings"]["Networks"][args["net"]]["Aliases"] or []
net.disconnect(c)
c.remove(force=True)
net.remove()
try:
    client.networks.get(args["net"])
    net_gone = "still there"
except NotFound as e:
    net_gone = type(e).__name__
vol = client.volumes.create(args["vol"], labels=args["label"])
vol_by_label = [v.name for v in client.volumes.list(filters={"label": "${label}"})]
mountpoint = vol.attrs["Mountpoint"]
client.containers.run(args["image"], ["sh", "-c", "echo kept > /data/f"], volumes={args["vol"]: {"bind": "/data", "mode": "rw"}}, labels=args["label"], remove=True)
read = client.containers.run(args["image"], ["cat", "/data/f"], volumes=[args["vol"] + ":/data:ro"], labels=args["label"], remove=True).decode()
vol.remove()
try:
    client.volumes.get(args["vol"])
    vol_gone = "still there"
except NotFound as e:
    vol_gone = type(e).__name__
emit({"byName": by_name, "byLabel": by_label, "members": members, "cid": c.id, "aliases": aliases, "netGone": net_gone,
      "volByLabel": vol_by_label, "mountpoint": mountpoint, "read": read, "volGone": vol_gone})
`,
      { image, net: name("net"), vol: name("vol"), c: name("net-c") },
    );
    assert.equal(r.byName.length, 1);
    assert.deepEqual(r.byLabel, r.byName);
    assert.deepEqual(r.members, [r.cid]);
    assert.ok(r.aliases.includes("py-alias"), JSON.stringify(r.aliases));
    assert.equal(r.netGone, "NotFound");
    assert.equal(r.volByLabel.length, 1);
    assert.ok(r.mountpoint.startsWith("/"), r.mountpoint);
    assert.equal(r.read, "kept\n");
    assert.equal(r.volGone, "NotFound");
  });

  test("a health check reaches healthy; volumes and networks prune by label", async () => {
    const r = await py<{
      health: string;
      log: number;
      volPruned: string[];
      prunedName: string;
      netPruned: string[];
      keptVol: boolean;
    }>(
      `
import time
c = client.containers.run(args["image"], ["sleep", "300"], name=args["n"], labels=args["label"], detach=True,
                          healthcheck={"test": ["CMD", "true"], "interval": 200000000, "retries": 3})
health = ""
for _ in range(150):
    c.reload()
    health = c.attrs["State"]["Health"]["Status"]
    if health == "healthy":
        break
    time.sleep(0.1)
log = len(c.attrs["State"]["Health"]["Log"])
c.remove(force=True)
prune = dict(args["label"], **{"${labelKey}.prune": "${pid}"})
# Unnamed: docker-py negotiates the daemon's newest API, and since API 1.42 prune removes only
# volumes created without a name (Docker 20.10, at 1.41, removes named ones too).
pruned_name = client.volumes.create(labels=prune).name
keep = client.volumes.create(args["v2"], labels=args["label"])
client.networks.create(args["net"], labels=prune)
vol_pruned = client.volumes.prune(filters={"label": "${labelKey}.prune=${pid}"})["VolumesDeleted"] or []
net_pruned = client.networks.prune(filters={"label": "${labelKey}.prune=${pid}"})["NetworksDeleted"] or []
kept = any(v.name == args["v2"] for v in client.volumes.list())
keep.remove()
emit({"health": health, "log": log, "volPruned": vol_pruned, "prunedName": pruned_name, "netPruned": net_pruned, "keptVol": kept})
`,
      { image, n: name("health"), v2: name("keep-v"), net: name("prune-n") },
    );
    assert.equal(r.health, "healthy");
    assert.ok(r.log >= 1);
    assert.deepEqual(r.volPruned, [r.prunedName], JSON.stringify(r));
    assert.equal(r.netPruned.length, 1, JSON.stringify(r));
    assert.match(r.netPruned[0] ?? "", /^py-prune-n-/);
    assert.equal(r.keptVol, true, "a volume without the prune label stays");
  });

  test("containers.list with filters", async () => {
    const listKey = `${labelKey}.list`;
    const r = await py<{
      running: string[];
      all: string[];
      exited: string[];
      byName: string[];
      none: string[];
      up: string;
      done: string;
    }>(
      `
lbl = dict(args["label"], **{"${listKey}": "${pid}"})
up = client.containers.run(args["image"], ["sleep", "300"], name=args["up"], labels=lbl, detach=True)
done = client.containers.run(args["image"], ["true"], name=args["done"], labels=lbl, detach=True)
done.wait()
f = "${listKey}=${pid}"
names = lambda cs: sorted(c.name for c in cs)
emit({"running": names(client.containers.list(filters={"label": f})),
      "all": names(client.containers.list(all=True, filters={"label": f})),
      "exited": names(client.containers.list(all=True, filters={"label": f, "status": "exited"})),
      "byName": names(client.containers.list(all=True, filters={"name": args["done"]})),
      "none": names(client.containers.list(all=True, filters={"label": f + "-none"})),
      "up": up.name, "done": done.name})
up.remove(force=True)
done.remove()
`,
      { image, up: name("list-up"), done: name("list-done") },
    );
    assert.deepEqual(r.running, [r.up]);
    assert.deepEqual(r.all, [r.up, r.done].sort());
    assert.deepEqual(r.exited, [r.done]);
    assert.deepEqual(r.byName, [r.done]);
    assert.deepEqual(r.none, []);
  });

  test("put_archive and get_archive", async () => {
    const r = await py<{
      put: boolean;
      stat: { name: string; size: number; mode: number };
      files: Record<string, string>;
      perm: number;
      missing: string;
    }>(
      `
import io, tarfile
from docker.errors import NotFound
c = client.containers.run(args["image"], ["sleep", "300"], name=args["n"], labels=args["label"], detach=True)
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    data = b"archived by python\\n"
    info = tarfile.TarInfo("dir/file.txt")
    info.size = len(data)
    info.mode = 0o640
    t.addfile(info, io.BytesIO(data))
put = c.put_archive("/tmp", buf.getvalue())
bits, stat = c.get_archive("/tmp/dir")
tar = tarfile.open(fileobj=io.BytesIO(b"".join(bits)))
files = {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers() if m.isfile()}
perm = [m.mode & 0o7777 for m in tar.getmembers() if m.isfile()][0]
try:
    c.get_archive("/no/such/path")
    missing = "found"
except NotFound as e:
    missing = type(e).__name__
c.remove(force=True)
emit({"put": put, "stat": {"name": stat["name"], "size": stat["size"], "mode": stat["mode"]}, "files": files, "perm": perm, "missing": missing})
`,
      { image, n: name("archive") },
    );
    assert.equal(r.put, true);
    assert.equal(r.stat.name, "dir");
    // Go's os.FileMode: the directory bit is 1<<31.
    assert.equal(r.stat.mode, 2 ** 31 + 0o755, `mode ${r.stat.mode.toString(8)}`);
    assert.deepEqual(r.files, { "dir/file.txt": "archived by python\n" });
    assert.equal(r.perm, 0o640);
    assert.equal(r.missing, "NotFound");
  });

  test("a running container: ports, top, stats, diff, pause, rename, restart, commit, kill with a signal", async () => {
    const r = await py<{
      body: string;
      hostIp: string;
      titles: string[];
      topHasShell: boolean;
      stats: { read: string; cpu: number; mem: number };
      diff: Array<{ Path: string; Kind: number }>;
      paused: string;
      resumed: string;
      renamed: string;
      restarted: boolean;
      committed: string;
      comment: string;
      fromCommit: string;
      exit: number;
      logs: string;
    }>(
      `
import time, urllib.request
c = client.containers.run(args["image"], ["sh", "-c", "trap 'echo got-usr1; exit 9' USR1; mkdir -p /www; echo served > /www/index.html; httpd -p 8080 -h /www; while true; do sleep 1; done"],
                          name=args["n"], labels=args["label"], detach=True, ports={"8080/tcp": ("127.0.0.1", None)})
c.reload()
binding = c.ports["8080/tcp"][0]
body = ""
for _ in range(100):
    try:
        body = urllib.request.urlopen("http://127.0.0.1:%s/" % binding["HostPort"], timeout=5).read().decode()
        break
    except Exception:
        time.sleep(0.1)
top = c.top()
cmd = top["Titles"].index("CMD")
stats = c.stats(stream=False)
diff = c.diff()
c.pause(); c.reload(); paused = c.status
c.unpause(); c.reload(); resumed = c.status
c.rename(args["renamed"]); c.reload(); renamed = c.name
started = c.attrs["State"]["StartedAt"]
c.restart(timeout=1); c.reload()
restarted = c.attrs["State"]["StartedAt"] != started and c.status == "running"
for _ in range(100):
    if c.exec_run(["test", "-f", "/www/index.html"]).exit_code == 0:
        break
    time.sleep(0.1)
img = c.commit(repository=args["repo"], tag="c1", message="by docker-py")
from_commit = client.containers.run(args["repo"] + ":c1", ["cat", "/www/index.html"], labels=args["label"], remove=True).decode()
c.kill(signal="SIGUSR1")
exit_code = c.wait()["StatusCode"]
emit({"body": body, "hostIp": binding["HostIp"], "titles": top["Titles"],
      "topHasShell": any("sh -c trap" in p[cmd] for p in top["Processes"]),
      "stats": {"read": stats["read"], "cpu": stats["cpu_stats"]["cpu_usage"]["total_usage"], "mem": stats["memory_stats"]["usage"]},
      "diff": diff, "paused": paused, "resumed": resumed, "renamed": renamed, "restarted": restarted,
      "committed": img.id, "comment": img.attrs["Comment"], "fromCommit": from_commit, "exit": exit_code, "logs": c.logs().decode()})
`,
      { image, n: name("life"), renamed: name("renamed"), repo: `py-committed-${pid}` },
    );
    images.add(`py-committed-${pid}:c1`);
    assert.equal(r.body, "served\n", "the published port answers on the loopback address");
    assert.equal(r.hostIp, "127.0.0.1");
    assert.ok(r.titles.includes("PID"), JSON.stringify(r.titles));
    assert.equal(r.topHasShell, true);
    assert.equal(typeof r.stats.read, "string");
    assert.equal(typeof r.stats.cpu, "number");
    assert.ok(r.stats.mem > 0);
    assert.ok(
      r.diff.some((x) => x.Path === "/www/index.html" && x.Kind === 1),
      JSON.stringify(r.diff),
    );
    assert.equal(r.paused, "paused");
    assert.equal(r.resumed, "running");
    assert.match(r.renamed, /^py-renamed-/);
    assert.equal(r.restarted, true);
    assert.match(r.committed, /^sha256:[0-9a-f]{64}$/);
    assert.equal(r.comment, "by docker-py");
    assert.equal(r.fromCommit, "served\n");
    assert.equal(r.exit, 9);
    assert.match(r.logs, /got-usr1\n$/);
  });

  test("logs: timestamps, tail, since and until", async () => {
    const r = await py<{ stamped: string[]; tail: string; since: string; until: string }>(
      `
import datetime
c = client.containers.run(args["image"], ["sh", "-c", "echo one; sleep 1; echo two"], name=args["n"], labels=args["label"], detach=True)
c.wait()
stamped = c.logs(timestamps=True).decode().splitlines()
def when(line):
    # RFC 3339 with nanoseconds: keep microseconds for Python.
    ts = line.split(" ")[0].rstrip("Z")
    whole, _, frac = ts.partition(".")
    return datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=int((frac + "000000")[:6]))
second = int(when(stamped[1]).timestamp())
emit({"stamped": stamped, "tail": c.logs(tail=1).decode(),
      "since": c.logs(since=second).decode(), "until": c.logs(until=second).decode()})
c.remove()
`,
      { image, n: name("logs") },
    );
    assert.equal(r.stamped.length, 2);
    for (const l of r.stamped) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (one|two)$/);
    assert.equal(r.tail, "two\n");
    // `two` came a second after `one`: the whole second of its timestamp lies between them.
    assert.equal(r.since, "two\n");
    assert.equal(r.until, "one\n");
  });

  test("image save and load, containers.prune by label, df", async () => {
    const ref = `py-saved-${pid}:v1`;
    images.add(ref);
    const r = await py<{
      loaded: string[][];
      sameId: boolean;
      gone: string;
      pruned: string[];
      stopped: string;
      upRunning: boolean;
      dfImages: boolean;
    }>(
      `
from docker.errors import ImageNotFound
img = client.images.get(args["image"])
img.tag(args["ref"])
saved = b"".join(client.images.get(args["ref"]).save(named=args["ref"]))
client.images.remove(args["ref"])
try:
    client.images.get(args["ref"])
    gone = "still there"
except ImageNotFound as e:
    gone = type(e).__name__
loaded = client.images.load(saved)
lbl = dict(args["label"], **{"${labelKey}.prune": "${pid}"})
stopped = client.containers.run(args["image"], ["true"], labels=lbl, detach=True)
stopped.wait()
up = client.containers.run(args["image"], ["sleep", "300"], labels=lbl, detach=True)
pruned = client.containers.prune(filters={"label": "${labelKey}.prune=${pid}"})
up.reload()
up_running = up.status == "running"
up.remove(force=True)
df = client.df()
emit({"loaded": [sorted(i.tags) for i in loaded], "sameId": loaded[0].id == img.id, "gone": gone,
      "pruned": pruned["ContainersDeleted"] or [], "stopped": stopped.id, "upRunning": up_running,
      "dfImages": any(args["image"] in (i.get("RepoTags") or []) for i in df["Images"])})
`,
      { image, ref },
    );
    assert.equal(r.gone, "ImageNotFound");
    assert.deepEqual(r.loaded, [[image, ref].sort()], "one image, the saved tag back on it");
    assert.equal(r.sameId, true);
    assert.deepEqual(r.pruned, [r.stopped]);
    assert.equal(r.upRunning, true);
    assert.equal(r.dfImages, true);
  });

  test("errors: NotFound for a missing container, APIError 409 for a name in use", async () => {
    const r = await py<{
      kind: string;
      status: number;
      explanation: string;
      conflict: number;
      conflictMsg: string;
    }>(
      `
from docker.errors import NotFound, APIError
try:
    client.containers.get(args["missing"])
    raise SystemExit("found a missing container")
except NotFound as e:
    kind, status, explanation = type(e).__name__, e.status_code, e.explanation
client.containers.create(args["image"], ["true"], name=args["n"], labels=args["label"])
try:
    client.containers.create(args["image"], ["true"], name=args["n"], labels=args["label"])
    raise SystemExit("created a second container with the same name")
except APIError as e:
    conflict, conflict_msg = e.status_code, e.explanation
client.containers.get(args["n"]).remove()
emit({"kind": kind, "status": status, "explanation": explanation, "conflict": conflict, "conflictMsg": conflict_msg})
`,
      { image, missing: `py-missing-${pid}`, n: name("dup") },
    );
    assert.equal(r.kind, "NotFound");
    assert.equal(r.status, 404);
    assert.match(r.explanation, new RegExp(`No such container: py-missing-${pid}`));
    assert.equal(r.conflict, 409);
    assert.match(r.conflictMsg, /is already in use/);
  });

  test("events(decode=True) read until 'die'; since/until ends by itself", async () => {
    const r = await py<{ live: Array<[string, string, string]>; id: string; past: string[] }>(
      `
import time
since = int(time.time()) - 1
evl = dict(args["label"], **{"${labelKey}.events": "${pid}"})
stream = client.events(decode=True, filters={"type": "container", "label": "${labelKey}.events=${pid}"})
other = client.containers.run(args["image"], ["true"], labels=args["label"], detach=True)
other.wait()
c = client.containers.run(args["image"], ["sh", "-c", "exit 2"], name=args["n"], labels=evl, detach=True)
live = []
for ev in stream:
    live.append([ev["Action"], ev["Actor"]["ID"], ev["Actor"]["Attributes"].get("exitCode", "")])
    if ev["Action"] == "die":
        break
stream.close()
c.wait()
until = int(time.time()) + 1
past = [ev["Action"] for ev in client.events(since=since, until=until, decode=True, filters={"container": c.id})]
other.remove()
c.remove()
emit({"live": live, "id": c.id, "past": past})
`,
      { image, n: name("events") },
    );
    assert.deepEqual(
      r.live.map(([a]) => a),
      ["create", "start", "die"],
    );
    for (const [, id] of r.live) assert.equal(id, r.id, "only the filtered container");
    assert.equal(r.live[2]?.[2], "2");
    assert.deepEqual(r.past.slice(0, 3), ["create", "start", "die"], JSON.stringify(r.past));
  });
});
