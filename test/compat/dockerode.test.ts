// dockerode (the npm Docker client most Node apps use, unchanged) against wharfd: the calls such
// apps make — ping/version/info, create/start/wait/remove, hijacked attach and exec with stdin
// (demuxed with docker.modem.demuxStream), a TTY, logs, archives, buildImage with followProgress,
// events, filtered lists, networks, volumes, tags and Docker's error shapes.
// Set WHARF_TEST_SOCKET to a reference dockerd's socket to run the same checks against Docker.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import Docker from "dockerode";
import { pack } from "tar-stream";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { importBusybox } from "../helpers/images.ts";
import { listTar } from "../helpers/tars.ts";
import { writeHtpasswd } from "../integration/distribution/helpers.ts";
import { startTestRegistry, type TestRegistry } from "../integration/registry/helpers.ts";

/** The longest any one stream may take before the test fails (and the stream is destroyed). */
const STREAM_LIMIT_MS = 60_000;

type Stream = NodeJS.ReadableStream & { destroy?: (err?: Error) => void };

/**
 * Resolves with what `work` resolves, or fails after STREAM_LIMIT_MS; either way `stream` is
 * destroyed, so a stuck daemon can never leave a live handle behind.
 */
async function bounded<T>(stream: Stream, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no end within ${STREAM_LIMIT_MS} ms`)),
      STREAM_LIMIT_MS,
    );
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
    stream.destroy?.();
  }
}

/** Everything a stream carries until it ends. */
function collect(stream: Stream, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return bounded(
    stream,
    what,
    new Promise<Buffer>((resolve, reject) => {
      stream.on("data", (c: Buffer | string) => chunks.push(Buffer.from(c)));
      stream.on("end", () => resolve(Buffer.concat(chunks)));
      stream.on("close", () => resolve(Buffer.concat(chunks)));
      stream.on("error", reject);
    }),
  );
}

/** A multiplexed stream split by docker.modem.demuxStream, until it ends. */
function demuxed(docker: Docker, stream: Stream, what: string): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  err.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  docker.modem.demuxStream(stream, out, err);
  return bounded(
    stream,
    what,
    new Promise((resolve, reject) => {
      const done = () => setImmediate(() => resolve({ stdout, stderr }));
      stream.on("end", done);
      stream.on("close", done);
      stream.on("error", reject);
    }),
  );
}

/** A tar archive of `files` (name → content), as a Buffer. */
async function tarOf(files: Record<string, string>, mode = 0o644): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode }, content);
  p.finalize();
  return collect(p as unknown as Stream, "tar pack");
}

/** The regular files of a tar stream: name → { content, mode }. */
async function untar(stream: Stream): Promise<Map<string, { content: string; mode: number }>> {
  const entries = await listTar(stream as NodeJS.ReadableStream);
  return new Map(
    entries.filter((e) => e.type === "file").map((e) => [e.name, { content: e.body, mode: e.mode }]),
  );
}

/** A dockerode error's shape: the HTTP status and Docker's `{"message": …}` body. */
async function failure(p: Promise<unknown>): Promise<{ statusCode: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { statusCode?: number; json?: { message?: string } | null };
    return { statusCode: err.statusCode ?? 0, message: err.json?.message ?? "" };
  }
  assert.fail("expected the call to fail");
}

describe("dockerode against the daemon", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  let docker: Docker;
  const pid = process.pid;
  const image = `sdk-busybox-${pid}:latest`;
  const built = `sdk-built-${pid}:v1`;
  const label = `wharf.test.dockerode=${pid}`;
  const labels = { "wharf.test.dockerode": String(pid) };
  /** What the tests made, removed in after() even when a test failed half-way. */
  const containers = new Set<string>();
  const images = new Set<string>([image, built]);
  const networks = new Set<string>();
  const volumes = new Set<string>();
  let seq = 0;
  const name = (what: string) => `sdk-${what}-${pid}-${++seq}`;

  /** createContainer from the test image with the test's label, recorded for cleanup. */
  const create = async (opts: Docker.ContainerCreateOptions) => {
    const c = await docker.createContainer({ Image: image, Labels: labels, ...opts });
    containers.add(c.id);
    return c;
  };

  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api, image);
    // A request idle this long is destroyed, so a stuck daemon fails the test instead of
    // leaving an open socket that keeps this process alive.
    docker = new Docker({ socketPath: d.socket, timeout: 120_000 });
  });

  after(async () => {
    if (!d) return;
    try {
      await sweep();
    } finally {
      await d.stop();
    }
  });

  /** Removes whatever the tests made, whether or not they got to it themselves. */
  async function sweep(): Promise<void> {
    for (const id of containers) await d.api.call("DELETE", `/containers/${id}?force=1&v=1`);
    // Anything else with the test's label or made from its images (a build's own containers).
    for (const filter of [{ label: [label] }, { ancestor: [image] }, { ancestor: [built] }]) {
      const f = encodeURIComponent(JSON.stringify(filter));
      const res = await d.api.call("GET", `/containers/json?all=1&filters=${f}`);
      for (const c of res.status === 200 ? res.json<Array<{ Id: string }>>() : [])
        await d.api.call("DELETE", `/containers/${c.Id}?force=1&v=1`);
    }
    for (const id of networks) await d.api.call("DELETE", `/networks/${encodeURIComponent(id)}`);
    for (const v of volumes) await d.api.call("DELETE", `/volumes/${encodeURIComponent(v)}?force=1`);
    for (const ref of images) await d.api.call("DELETE", `/images/${encodeURIComponent(ref)}?force=1`);
  }

  test("ping, version and info", async () => {
    assert.equal(String(await docker.ping()), "OK");
    const v = await docker.version();
    assert.match(v.ApiVersion, /^1\.\d+$/);
    assert.equal(v.Os, "linux");
    assert.ok(v.Version.length > 0);
    const info = await docker.info();
    assert.equal(typeof info.Containers, "number");
    assert.ok(info.Images >= 1, "the imported image is counted");
    assert.equal(typeof info.Driver, "string");
  });

  test("createContainer, start, wait, inspect, remove", async () => {
    const n = name("run");
    const c = await create({ name: n, Cmd: ["sh", "-c", "exit 7"] });
    assert.match(c.id, /^[0-9a-f]{64}$/);
    await c.start();
    assert.deepEqual(await c.wait(), { Error: null, StatusCode: 7 });
    const info = await c.inspect();
    assert.equal(info.Name, `/${n}`);
    assert.equal(info.State.Status, "exited");
    assert.equal(info.State.ExitCode, 7);
    assert.equal(info.Config.Labels["wharf.test.dockerode"], String(pid));
    await c.remove();
    assert.equal((await failure(c.inspect())).statusCode, 404);
  });

  test("docker.run with [stdout, stderr] streams demuxes a non-TTY container", async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = "";
    let stderr = "";
    out.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    err.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const [result, c] = (await docker.run(
      image,
      ["sh", "-c", "echo to-out; echo to-err >&2; exit 2"],
      [out, err],
      {
        Tty: false,
        Labels: labels,
        name: name("dockerrun"),
      },
    )) as [{ StatusCode: number }, Docker.Container];
    containers.add(c.id);
    assert.equal(result.StatusCode, 2);
    assert.equal(stdout, "to-out\n");
    assert.equal(stderr, "to-err\n");
  });

  test("errors: 404 for a missing container or image, 409 removing a running one", async () => {
    const missing = await failure(docker.getContainer(`sdk-missing-${pid}`).inspect());
    assert.equal(missing.statusCode, 404);
    assert.match(missing.message, new RegExp(`No such container: sdk-missing-${pid}`));
    assert.equal((await failure(docker.getContainer(`sdk-missing-${pid}`).start())).statusCode, 404);

    const noImage = await failure(docker.createContainer({ Image: `sdk-no-image-${pid}:latest` }));
    assert.equal(noImage.statusCode, 404);
    assert.match(noImage.message, /No such image/);

    const c = await create({ name: name("busy"), Cmd: ["sleep", "300"] });
    await c.start();
    // Starting a running container, or stopping a stopped one, is a 304 (dockerode rejects it).
    assert.equal((await failure(c.start())).statusCode, 304);
    const busy = await failure(c.remove());
    assert.equal(busy.statusCode, 409);
    assert.match(busy.message, /cannot remove a running container/i);
    await c.stop({ t: 0 });
    assert.equal((await failure(c.stop({ t: 0 }))).statusCode, 304);
    await c.remove({ force: true });
    containers.delete(c.id);
  });

  test("AutoRemove with wait({condition: 'removed'}) set up before the start; sizes on request", async () => {
    const c = await create({
      name: name("autorm"),
      Cmd: ["sh", "-c", "exit 3"],
      HostConfig: { AutoRemove: true },
    });
    const removed = c.wait({ condition: "removed" });
    await c.start();
    assert.equal((await removed).StatusCode, 3);
    assert.equal((await failure(c.inspect())).statusCode, 404);
    containers.delete(c.id);

    const sized = await create({ name: name("sized"), Cmd: ["sh", "-c", "head -c 100000 /dev/zero > /big"] });
    await sized.start();
    await sized.wait();
    // @types/dockerode knows neither the size option nor the size fields: dockerode passes both on.
    const withSize = { size: true } as unknown as Docker.ContainerInspectOptions;
    const info = (await sized.inspect(withSize)) as unknown as { SizeRw: number; SizeRootFs: number };
    assert.ok(info.SizeRw >= 100_000, `SizeRw ${info.SizeRw}`);
    assert.ok(info.SizeRootFs > info.SizeRw, `SizeRootFs ${info.SizeRootFs}`);
    const [listed] = (await docker.listContainers({
      all: true,
      size: true,
      filters: { id: [sized.id] },
    })) as Array<{
      SizeRw?: number;
      SizeRootFs?: number;
    }>;
    assert.ok((listed?.SizeRw ?? 0) >= 100_000, JSON.stringify(listed));
    assert.ok((listed?.SizeRootFs ?? 0) > (listed?.SizeRw ?? 0), JSON.stringify(listed));
  });

  test("attach with hijack: stdin reaches cat and comes back on stdout, stderr apart", async () => {
    const c = await create({
      name: name("attach"),
      Cmd: ["sh", "-c", "cat; echo after-eof >&2"],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const output = demuxed(docker, stream, "attach");
    await c.start();
    stream.write("hello from dockerode\n");
    stream.end();
    assert.deepEqual(await output, { stdout: "hello from dockerode\n", stderr: "after-eof\n" });
    assert.equal((await c.wait()).StatusCode, 0);
  });

  test("attach to a TTY container: raw stream, a terminal, input read by the shell", async () => {
    const c = await create({
      name: name("tty"),
      Cmd: ["sh", "-c", 'read line; echo "got:$line"; tty'],
      Tty: true,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const output = collect(stream, "tty attach");
    await c.start();
    stream.write("abc\n");
    const raw = (await output).toString();
    // A TTY stream is not multiplexed, and the terminal turns \n into \r\n.
    assert.match(raw, /got:abc\r\n/);
    assert.match(raw, /\/dev\/pts\/\d+\r\n/);
    assert.equal((await c.wait()).StatusCode, 0);
  });

  test("logs: demuxed, tail, timestamps, since, and follow until the container exits", async () => {
    const c = await create({
      name: name("logs"),
      Cmd: ["sh", "-c", "echo one; echo err >&2; sleep 1; echo two"],
    });
    await c.start();
    await c.wait();
    const all = await c.logs({ stdout: true, stderr: true, follow: false });
    assert.ok(Buffer.isBuffer(all));
    assert.deepEqual(await demuxed(docker, Readable.from([all]), "logs"), {
      stdout: "one\ntwo\n",
      stderr: "err\n",
    });
    const onlyOut = await c.logs({ stdout: true, stderr: false, follow: false });
    assert.deepEqual(await demuxed(docker, Readable.from([onlyOut]), "stdout logs"), {
      stdout: "one\ntwo\n",
      stderr: "",
    });
    const tail = await c.logs({ stdout: true, stderr: true, tail: 1, follow: false });
    assert.equal((await demuxed(docker, Readable.from([tail]), "tail")).stdout, "two\n");

    const stamped = await c.logs({ stdout: true, follow: false, timestamps: true });
    const lines = (await demuxed(docker, Readable.from([stamped]), "timestamps")).stdout.trim().split("\n");
    assert.equal(lines.length, 2);
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (one|two)$/);
    // `two` came a second after `one`: the whole second of its timestamp is after `one`.
    const second = Math.floor(Date.parse((lines[1] as string).split(" ")[0] as string) / 1000);
    const since = await c.logs({ stdout: true, follow: false, since: second });
    assert.equal((await demuxed(docker, Readable.from([since]), "since")).stdout, "two\n");

    const live = await create({ name: name("follow"), Cmd: ["sh", "-c", "echo a; sleep 1; echo b"] });
    await live.start();
    const stream = await live.logs({ stdout: true, stderr: true, follow: true, timestamps: true, since: 0 });
    const followed = await demuxed(docker, stream, "follow logs");
    assert.deepEqual(
      followed.stdout.split("\n").map((l) => l.replace(/^\S+Z /, "")),
      ["a", "b", ""],
      followed.stdout,
    );
    assert.match(followed.stdout, /^\d{4}-\d\d-\d\dT\S+Z a\n/);
  });

  test("exec with hijack and stdin; inspect gives the exit code", async () => {
    const c = await create({ name: name("exec"), Cmd: ["sleep", "300"] });
    await c.start();
    const exec = await c.exec({
      Cmd: ["sh", "-c", "cat; echo err >&2; exit 5"],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: true });
    const output = demuxed(docker, stream, "exec");
    stream.write("piped in\n");
    stream.end();
    assert.deepEqual(await output, { stdout: "piped in\n", stderr: "err\n" });
    let info = await exec.inspect();
    for (let i = 0; info.Running && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await exec.inspect();
    }
    assert.equal(info.Running, false);
    assert.equal(info.ExitCode, 5);
    assert.equal(info.ContainerID, c.id);
    assert.deepEqual(
      {
        tty: info.ProcessConfig.tty,
        privileged: info.ProcessConfig.privileged,
        entrypoint: info.ProcessConfig.entrypoint,
      },
      { tty: false, privileged: false, entrypoint: "sh" },
    );

    // Without stdin: output only, and the exit code of a successful command.
    const quiet = await c.exec({ Cmd: ["echo", "no-stdin"], AttachStdout: true, AttachStderr: true });
    const plain = await quiet.start({ hijack: true, stdin: false });
    assert.equal((await demuxed(docker, plain, "exec without stdin")).stdout, "no-stdin\n");
    await c.remove({ force: true });
    containers.delete(c.id);
  });

  test("a TTY exec (a web terminal): hijacked, resized, raw output", async () => {
    const c = await create({ name: name("tty-exec"), Cmd: ["sleep", "300"] });
    await c.start();
    const exec = await c.exec({
      Cmd: ["sh"],
      Tty: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: true, Tty: true });
    const output = collect(stream, "tty exec");
    await exec.resize({ h: 41, w: 103 });
    stream.write("stty size; exit 3\n");
    const raw = (await output).toString();
    assert.match(raw, /41 103\r\n/, JSON.stringify(raw));
    let info = await exec.inspect();
    for (let i = 0; info.Running && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await exec.inspect();
    }
    assert.equal(info.ExitCode, 3);
    assert.equal(info.ProcessConfig.tty, true);
    await c.remove({ force: true });
    containers.delete(c.id);
  });

  test("putArchive and getArchive: files, modes, and 404 for a missing path", async () => {
    const c = await create({ name: name("archive"), Cmd: ["sleep", "300"] });
    await c.start();
    await c.putArchive(await tarOf({ "dir/file.txt": "archived\n" }, 0o640), { path: "/tmp" });
    const check = await c.exec({ Cmd: ["stat", "-c", "%a %s", "/tmp/dir/file.txt"], AttachStdout: true });
    const stat = await demuxed(docker, await check.start({ hijack: true, stdin: false }), "stat");
    assert.equal(stat.stdout, "640 9\n");

    const files = await untar(await c.getArchive({ path: "/tmp/dir" }));
    const file = files.get("dir/file.txt");
    assert.equal(file?.content, "archived\n");
    // Only the permission bits are compared: Docker's header mode also carries the file type
    // (0o100640, as Go's archive/tar writes it); wharfd's tar-stream writes 0o640, as GNU tar does.
    assert.equal((file?.mode ?? 0) & 0o7777, 0o640);

    const missing = await failure(c.getArchive({ path: "/no/such/path" }));
    assert.equal(missing.statusCode, 404);
    await c.remove({ force: true });
    containers.delete(c.id);
  });

  test("buildImage from a tar context with followProgress, then run the image", async () => {
    const context = await tarOf({
      Dockerfile: [
        `FROM ${image}`,
        "RUN echo built-by-run > /built.txt",
        "COPY hello.txt /hello.txt",
        'CMD ["cat", "/built.txt", "/hello.txt"]',
      ].join("\n"),
      "hello.txt": "from the context\n",
    });
    const stream = await docker.buildImage(Readable.from([context]), { t: built, labels });
    const progress: Array<{ stream?: string; error?: string; aux?: { ID?: string } }> = [];
    const output = await bounded(
      stream,
      "build",
      new Promise<typeof progress>((resolve, reject) => {
        docker.modem.followProgress(
          stream,
          (err: Error | null, out: typeof progress) => (err ? reject(err) : resolve(out)),
          (event: (typeof progress)[number]) => progress.push(event),
        );
      }),
    );
    assert.deepEqual(output, progress, "onProgress saw every event onFinished got");
    assert.equal(output.filter((e) => e.error).length, 0, JSON.stringify(output));
    assert.match(output.map((e) => e.stream ?? "").join(""), /Successfully tagged/);
    const id = output.find((e) => e.aux?.ID)?.aux?.ID;
    assert.match(id ?? "", /^sha256:[0-9a-f]{64}$/);
    assert.equal((await docker.getImage(built).inspect()).Id, id);

    const out = new PassThrough();
    let text = "";
    out.on("data", (c: Buffer) => {
      text += c.toString();
    });
    const [result, c] = (await docker.run(built, [], [out, new PassThrough()], {
      Tty: false,
      Labels: labels,
      name: name("built"),
    })) as [{ StatusCode: number }, Docker.Container];
    containers.add(c.id);
    assert.equal(result.StatusCode, 0);
    assert.equal(text, "built-by-run\nfrom the context\n");

    // A failing RUN: the error arrives in the progress stream, with the exit code.
    const bad = await tarOf({ Dockerfile: `FROM ${image}\nRUN exit 3\n` });
    const badStream = await docker.buildImage(Readable.from([bad]), {
      t: `sdk-bad-${pid}:v1`,
      forcerm: true,
    });
    images.add(`sdk-bad-${pid}:v1`);
    const badOut = await bounded(
      badStream,
      "failing build",
      new Promise<Array<{ error?: string; errorDetail?: { code?: number; message?: string } }>>((resolve) => {
        docker.modem.followProgress(badStream, (_err: Error | null, out) => resolve(out));
      }),
    );
    const error = badOut.find((e) => e.error);
    assert.ok(error, JSON.stringify(badOut));
    assert.match(error.error ?? "", /returned a non-zero code: 3/);
    assert.equal(error.errorDetail?.code, 3);
  });

  test("getEvents: a filtered live stream sees create, start, die; since/until ends by itself", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const evLabel = `wharf.test.dockerode.events=${pid}`;
    const stream = await docker.getEvents({ filters: { type: ["container"], label: [evLabel] } });
    type Event = {
      Type: string;
      Action: string;
      id?: string;
      Actor: { ID: string; Attributes: Record<string, string> };
    };
    const seen: Event[] = [];
    const sawDie = bounded(
      stream,
      "events",
      new Promise<void>((resolve, reject) => {
        let buf = "";
        stream.on("data", (c: Buffer) => {
          buf += c.toString();
          const lines = buf.split("\n");
          buf = lines.pop() ?? "";
          for (const line of lines) {
            if (!line) continue;
            const ev = JSON.parse(line) as Event;
            seen.push(ev);
            if (ev.Action === "die") resolve();
          }
        });
        stream.on("error", reject);
      }),
    );
    // One container outside the filter, one inside it.
    const other = await create({ name: name("ev-other"), Cmd: ["true"] });
    await other.start();
    await other.wait();
    const n = name("ev");
    const c = await create({
      name: n,
      Cmd: ["sh", "-c", "exit 4"],
      Labels: { ...labels, "wharf.test.dockerode.events": String(pid) },
    });
    await c.start();
    await c.wait();
    await sawDie;
    const actions = seen.map((e) => e.Action);
    assert.deepEqual(actions.slice(0, 3), ["create", "start", "die"], JSON.stringify(actions));
    for (const e of seen) {
      assert.equal(e.Type, "container");
      assert.equal(e.Actor.ID, c.id);
      assert.equal(e.Actor.Attributes.name, n);
    }
    assert.equal(seen[2]?.Actor.Attributes.exitCode, "4");

    // With `until`, the stream is history only and ends on its own.
    const until = Math.floor(Date.now() / 1000) + 1;
    const past = await docker.getEvents({ since, until, filters: { container: [c.id], event: ["die"] } });
    const text = (await collect(past, "past events")).toString().trim();
    const dies = text.split("\n").map((l) => JSON.parse(l) as Event);
    assert.deepEqual(
      dies.map((e) => [e.Action, e.Actor.ID]),
      [["die", c.id]],
    );
  });

  test("listContainers and listImages with label and reference filters", async () => {
    const listLabel = `wharf.test.dockerode.list=${pid}`;
    const running = await create({
      name: name("list-up"),
      Cmd: ["sleep", "300"],
      Labels: { ...labels, "wharf.test.dockerode.list": String(pid) },
    });
    await running.start();
    const exited = await create({
      name: name("list-done"),
      Cmd: ["true"],
      Labels: { ...labels, "wharf.test.dockerode.list": String(pid) },
    });
    await exited.start();
    await exited.wait();

    const up = await docker.listContainers({ filters: { label: [listLabel] } });
    assert.deepEqual(
      up.map((c) => c.Id),
      [running.id],
    );
    assert.equal(up[0]?.State, "running");
    assert.equal(up[0]?.Image, image);
    const all = await docker.listContainers({ all: true, filters: { label: [listLabel] } });
    assert.deepEqual(all.map((c) => c.Id).sort(), [running.id, exited.id].sort());
    const done = await docker.listContainers({
      all: true,
      filters: { label: [listLabel], status: ["exited"] },
    });
    assert.deepEqual(
      done.map((c) => c.Id),
      [exited.id],
    );
    assert.deepEqual(
      await docker.listContainers({ all: true, filters: { label: [`${listLabel}-none`] } }),
      [],
    );

    const byRef = await docker.listImages({ filters: { reference: [image] } });
    assert.equal(byRef.length, 1);
    assert.ok(byRef[0]?.RepoTags?.includes(image), JSON.stringify(byRef));
    await running.remove({ force: true });
    containers.delete(running.id);
  });

  test("networks: createNetwork, connect with an alias, inspect, list by label, remove", async () => {
    const n = name("net");
    const net = await docker.createNetwork({
      Name: n,
      Driver: "bridge",
      Labels: labels,
      CheckDuplicate: true,
    });
    networks.add(net.id);
    const c = await create({ name: name("net-c"), Cmd: ["sleep", "300"] });
    await c.start();
    await net.connect({ Container: c.id, EndpointConfig: { Aliases: ["sdk-alias"] } });
    const info = (await net.inspect()) as {
      Name: string;
      Driver: string;
      Containers: Record<string, unknown>;
    };
    assert.equal(info.Name, n);
    assert.equal(info.Driver, "bridge");
    assert.ok(info.Containers[c.id], JSON.stringify(info.Containers));
    const endpoint = (await c.inspect()).NetworkSettings.Networks[n];
    assert.ok(endpoint?.Aliases?.includes("sdk-alias"), JSON.stringify(endpoint));
    assert.match(endpoint?.IPAddress ?? "", /^\d+\.\d+\.\d+\.\d+$/);

    const listed = await docker.listNetworks({ filters: { label: [label] } });
    assert.deepEqual(
      listed.map((x) => x.Id),
      [net.id],
    );
    await net.disconnect({ Container: c.id });
    assert.equal((await c.inspect()).NetworkSettings.Networks[n], undefined);
    await c.remove({ force: true });
    containers.delete(c.id);
    await net.remove();
    networks.delete(net.id);
    assert.equal((await failure(net.inspect())).statusCode, 404);
  });

  test("volumes: createVolume, list by label, share data between containers, remove", async () => {
    const v = name("vol");
    volumes.add(v);
    const created = await docker.createVolume({ Name: v, Labels: labels });
    assert.equal(created.name, v);
    const vinfo = await created.inspect();
    assert.equal(vinfo.Name, v);
    assert.equal(vinfo.Driver, "local");
    assert.equal(vinfo.Labels?.["wharf.test.dockerode"], String(pid));
    const listed = await docker.listVolumes({ filters: { label: [label] } });
    assert.deepEqual(
      listed.Volumes.map((x) => x.Name),
      [v],
    );
    const writer = await create({
      name: name("vol-w"),
      Cmd: ["sh", "-c", "echo kept > /data/f"],
      HostConfig: { Binds: [`${v}:/data`] },
    });
    await writer.start();
    assert.equal((await writer.wait()).StatusCode, 0);
    const out = new PassThrough();
    let text = "";
    out.on("data", (c: Buffer) => {
      text += c.toString();
    });
    const [, reader] = (await docker.run(image, ["cat", "/data/f"], [out, new PassThrough()], {
      Tty: false,
      Labels: labels,
      HostConfig: { Binds: [`${v}:/data`] },
    })) as [{ StatusCode: number }, Docker.Container];
    containers.add(reader.id);
    assert.equal(text, "kept\n");

    const inUse = await failure(docker.getVolume(v).remove());
    assert.equal(inUse.statusCode, 409);
    await writer.remove();
    await reader.remove();
    containers.delete(writer.id);
    containers.delete(reader.id);
    await docker.getVolume(v).remove();
    volumes.delete(v);
    assert.equal((await failure(docker.getVolume(v).inspect())).statusCode, 404);
  });

  test("a running container: top, stats, changes, pause, rename, update, commit, kill with a signal", async () => {
    const c = await create({
      name: name("life"),
      Cmd: [
        "sh",
        "-c",
        "trap 'echo got-usr1; exit 9' USR1; echo x > /tmp/changed; while true; do sleep 1; done",
      ],
    });
    await c.start();
    // The file is there once an exec sees it: the shell wrote it before looping.
    for (let i = 0; i < 100; i++) {
      const e = await c.exec({ Cmd: ["test", "-f", "/tmp/changed"] });
      await demuxed(docker, await e.start({ hijack: true, stdin: false }), "wait for the file");
      if ((await e.inspect()).ExitCode === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const top = (await c.top()) as { Titles: string[]; Processes: string[][] };
    assert.ok(top.Titles.includes("PID") && top.Titles.includes("CMD"), JSON.stringify(top.Titles));
    const cmd = top.Titles.indexOf("CMD");
    assert.ok(
      top.Processes.some((p) => p[cmd]?.includes("sh -c trap")),
      JSON.stringify(top.Processes),
    );

    const stats = await c.stats({ stream: false });
    assert.equal(typeof stats.read, "string");
    assert.equal(typeof stats.cpu_stats.cpu_usage.total_usage, "number");
    assert.ok(stats.memory_stats.usage > 0, JSON.stringify(stats.memory_stats));
    assert.ok((stats.pids_stats?.current ?? 0) >= 1, JSON.stringify(stats.pids_stats));

    const changes = (await c.changes()) as Array<{ Path: string; Kind: number }>;
    assert.ok(
      changes.some((x) => x.Path === "/tmp/changed" && x.Kind === 1),
      JSON.stringify(changes),
    );

    await c.pause();
    assert.equal((await c.inspect()).State.Status, "paused");
    await c.unpause();
    assert.equal((await c.inspect()).State.Status, "running");

    const renamed = name("renamed");
    await c.rename({ name: renamed });
    assert.equal((await c.inspect()).Name, `/${renamed}`);

    const updated = (await c.update({ CpuShares: 512 })) as { Warnings: string[] | null };
    assert.ok(updated.Warnings === null || Array.isArray(updated.Warnings), JSON.stringify(updated));
    assert.equal((await c.inspect()).HostConfig.CpuShares, 512);

    const repo = `sdk-committed-${pid}`;
    images.add(`${repo}:c1`);
    const committed = (await c.commit({ repo, tag: "c1", comment: "by dockerode" })) as { Id: string };
    assert.match(committed.Id, /^sha256:[0-9a-f]{64}$/);
    const info = await docker.getImage(`${repo}:c1`).inspect();
    assert.equal(info.Id, committed.Id);
    assert.equal(info.Comment, "by dockerode");
    const out = new PassThrough();
    let text = "";
    out.on("data", (b: Buffer) => {
      text += b.toString();
    });
    const [, reader] = (await docker.run(`${repo}:c1`, ["cat", "/tmp/changed"], [out, new PassThrough()], {
      Tty: false,
      Labels: labels,
    })) as [{ StatusCode: number }, Docker.Container];
    containers.add(reader.id);
    assert.equal(text, "x\n", "the commit kept the container's change");

    await c.kill({ signal: "SIGUSR1" });
    assert.equal((await c.wait()).StatusCode, 9);
    const logs = await c.logs({ stdout: true, follow: false });
    assert.equal((await demuxed(docker, Readable.from([logs]), "logs after kill")).stdout, "got-usr1\n");
  });

  test("image save (getImage().get) and loadImage, and pruneContainers by label", async () => {
    const ref = `sdk-saved-${pid}:v1`;
    images.add(ref);
    await docker.getImage(image).tag({ repo: `sdk-saved-${pid}`, tag: "v1" });
    const id = (await docker.getImage(ref).inspect()).Id;
    const saved = await collect(await docker.getImage(ref).get(), "image save");
    const entries = await untar(Readable.from([saved]));
    const manifest = JSON.parse(entries.get("manifest.json")?.content ?? "[]") as Array<{
      RepoTags: string[];
    }>;
    assert.deepEqual(manifest[0]?.RepoTags, [ref]);

    await docker.getImage(ref).remove();
    assert.equal((await failure(docker.getImage(ref).inspect())).statusCode, 404);
    const loading = await docker.loadImage(Readable.from([saved]));
    const events = await bounded(
      loading,
      "image load",
      new Promise<Array<{ stream?: string; error?: string }>>((resolve, reject) => {
        docker.modem.followProgress(loading, (err: Error | null, o: Array<{ stream?: string }>) =>
          err ? reject(err) : resolve(o),
        );
      }),
    );
    assert.match(events.map((e) => e.stream ?? e.error ?? "").join(""), new RegExp(`Loaded image: ${ref}`));
    assert.equal((await docker.getImage(ref).inspect()).Id, id);

    const pruneKey = "wharf.test.dockerode.prune";
    const stopped = await create({ Cmd: ["true"], Labels: { ...labels, [pruneKey]: String(pid) } });
    await stopped.start();
    await stopped.wait();
    const up = await create({ Cmd: ["sleep", "300"], Labels: { ...labels, [pruneKey]: String(pid) } });
    await up.start();
    const pruned = await docker.pruneContainers({ filters: { label: [`${pruneKey}=${pid}`] } });
    assert.deepEqual(pruned.ContainersDeleted, [stopped.id], "only the stopped one");
    assert.equal(typeof pruned.SpaceReclaimed, "number");
    assert.equal((await failure(stopped.inspect())).statusCode, 404);
    assert.equal((await up.inspect()).State.Running, true);
    await up.remove({ force: true });
    containers.delete(up.id);
  });

  test("a registry on loopback with auth: checkAuth, push and pull with authconfig", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wharf-sdk-reg-"));
    let reg: TestRegistry | undefined;
    try {
      await writeHtpasswd(join(dir, "htpasswd"), { alice: "alice-pw" });
      reg = await startTestRegistry({ htpasswd: join(dir, "htpasswd") });
      const host = new URL(reg.url).host;
      const auth = { username: "alice", password: "alice-pw", serveraddress: host };
      assert.equal(((await docker.checkAuth(auth)) as { Status: string }).Status, "Login Succeeded");
      const refused = await failure(docker.checkAuth({ ...auth, password: "wrong" }));
      // Docker 20.10 answers a refused login with a 500 (a plain error); wharfd with 401, the
      // status the registry gave, as Docker's errdefs.Unauthorized would. The text is the same.
      assert.ok([401, 500].includes(refused.statusCode), `${refused.statusCode} ${refused.message}`);
      assert.match(
        refused.message,
        /^login attempt to http:\/\/\S+\/v2\/ failed with status: 401 Unauthorized$/,
      );

      const repo = `${host}/alice/sdk-${pid}`;
      images.add(`${repo}:p1`);
      await docker.getImage(image).tag({ repo, tag: "p1" });
      const follow = async (stream: Stream, what: string) =>
        bounded(
          stream,
          what,
          new Promise<Array<{ status?: string; error?: string; aux?: { Digest?: string } }>>(
            (resolve, reject) => {
              docker.modem.followProgress(stream, (err: Error | null, out) =>
                err ? reject(err) : resolve(out),
              );
            },
          ),
        );
      const pushed = await follow(
        await docker.getImage(`${repo}:p1`).push({ tag: "p1", authconfig: auth }),
        "push",
      );
      assert.equal(pushed.filter((e) => e.error).length, 0, JSON.stringify(pushed));
      const digest = pushed.find((e) => e.aux?.Digest)?.aux?.Digest;
      assert.match(digest ?? "", /^sha256:[0-9a-f]{64}$/, JSON.stringify(pushed));

      // Without credentials the push is refused, in the progress stream.
      const anonymous = await follow(
        await docker.getImage(`${repo}:p1`).push({ tag: "p1" }),
        "anonymous push",
      );
      assert.ok(
        anonymous.some((e) => e.error),
        JSON.stringify(anonymous),
      );

      await docker.getImage(`${repo}:p1`).remove();
      const pulled = await follow(await docker.pull(`${repo}:p1`, { authconfig: auth }), "pull");
      assert.equal(pulled.filter((e) => e.error).length, 0, JSON.stringify(pulled));
      assert.match(pulled.map((e) => e.status ?? "").join("\n"), /Downloaded newer image for/);
      const info = await docker.getImage(`${repo}:p1`).inspect();
      assert.ok(info.RepoDigests.includes(`${repo}@${digest}`), JSON.stringify(info.RepoDigests));
      await docker.getImage(`${repo}:p1`).remove(); // the next tests see the image's tags
    } finally {
      await reg?.close(); // an open server in this process would keep the test file alive
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("image tag, inspect, remove the tag", async () => {
    const repo = `sdk-tagged-${pid}`;
    images.add(`${repo}:t1`);
    await docker.getImage(image).tag({ repo, tag: "t1" });
    const original = await docker.getImage(image).inspect();
    const tagged = await docker.getImage(`${repo}:t1`).inspect();
    assert.equal(tagged.Id, original.Id);
    assert.ok(tagged.RepoTags.includes(`${repo}:t1`));
    assert.ok(tagged.RepoTags.includes(image));
    const removed = await docker.getImage(`${repo}:t1`).remove();
    assert.deepEqual(removed, [{ Untagged: `${repo}:t1` }]);
    assert.equal((await failure(docker.getImage(`${repo}:t1`).inspect())).statusCode, 404);
    assert.equal((await docker.getImage(image).inspect()).Id, original.Id, "the other tag stays");
  });
});
