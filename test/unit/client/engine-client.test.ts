import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { test } from "node:test";
import { EngineClient, encodePathName, encodeQuery } from "../../../src/client/engine-client.ts";
import { ApiError, ConnectionError } from "../../../src/client/errors.ts";
import { parseHost, resolveHost } from "../../../src/client/host.ts";
import { demuxStream } from "../../../src/client/mux.ts";
import { fakeDaemon, ping } from "./fake-daemon.ts";

function frame(stream: number, text: string): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(Buffer.byteLength(text), 4);
  return Buffer.concat([header, Buffer.from(text)]);
}

test("hosts: flag, then WHARF_HOST, then DOCKER_HOST, then the wharf socket", () => {
  assert.equal(resolveHost(undefined, {}), "unix:///run/wharf/wharf.sock");
  assert.equal(resolveHost(undefined, { DOCKER_HOST: "tcp://h:1" }), "tcp://h:1");
  assert.equal(resolveHost(undefined, { DOCKER_HOST: "tcp://h:1", WHARF_HOST: "unix:///w" }), "unix:///w");
  assert.equal(resolveHost("unix:///f", { WHARF_HOST: "unix:///w" }), "unix:///f");
  assert.deepEqual(parseHost("tcp://127.0.0.1"), {
    kind: "tcp",
    host: "127.0.0.1",
    port: 2375,
    url: "tcp://127.0.0.1:2375",
  });
  assert.deepEqual(parseHost("unix:///x.sock"), {
    kind: "unix",
    socketPath: "/x.sock",
    url: "unix:///x.sock",
  });
  assert.throws(() => parseHost("ssh://x"), /protocol not available/);
});

test("query strings sort keys, repeat lists, send true as 1 and leave false out", () => {
  assert.equal(
    encodeQuery({ b: true, a: "x y", c: false, d: undefined, e: ["1", "2"], f: 0 }),
    "?a=x+y&b=1&e=1&e=2&f=0",
  );
  assert.equal(encodeQuery({}), "");
  assert.equal(encodePathName("127.0.0.1:5000/app:1"), "127.0.0.1:5000/app:1");
  assert.equal(encodePathName("a b"), "a%20b");
});

test("negotiation: HEAD /_ping first, min(server, 1.50), then versioned paths", async () => {
  const d = await fakeDaemon((req, res) => {
    if (ping(res, req, "1.41")) return;
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ Version: "x", ApiVersion: "1.41" }));
  });
  const client = new EngineClient({ host: d.host, env: {} });
  try {
    await client.version();
    await client.info();
    assert.deepEqual(
      d.seen.map((s) => `${s.method} ${s.url}`),
      ["HEAD /_ping", "GET /v1.41/version", "GET /v1.41/info"],
    );
    assert.equal(d.seen[1]?.headers.host, "api.moby.localhost");
    assert.equal(client.lastPing?.osType, "linux");
  } finally {
    client.close();
    await d.close();
  }
});

test("negotiation: capped at 1.50, 1.24 without a header, GET when HEAD is 404, DOCKER_API_VERSION wins", async () => {
  for (const [header, env, want] of [
    ["1.99", {}, "1.50"],
    [undefined, {}, "1.24"],
    ["1.41", { DOCKER_API_VERSION: "1.40" }, "1.40"],
  ] as const) {
    const d = await fakeDaemon((req, res) => {
      if (ping(res, req, header)) return;
      res.end("{}");
    });
    const client = new EngineClient({ host: d.host, env });
    try {
      assert.equal(await client.apiVersion(), want);
    } finally {
      client.close();
      await d.close();
    }
  }
  const d = await fakeDaemon((req, res) => {
    if (req.method === "HEAD") {
      res.statusCode = 404;
      res.end();
      return;
    }
    ping(res, req, "1.43");
  });
  const client = new EngineClient({ host: d.host, env: {} });
  try {
    assert.equal(await client.apiVersion(), "1.43");
    assert.deepEqual(
      d.seen.map((s) => `${s.method} ${s.url}`),
      ["HEAD /_ping", "GET /_ping"],
    );
  } finally {
    client.close();
    await d.close();
  }
});

test("errors carry the status and the daemon's message", async () => {
  const d = await fakeDaemon((req, res) => {
    if (ping(res, req, "1.50")) return;
    res.statusCode = req.url?.includes("nosuch") ? 404 : 400;
    if (req.url?.includes("plain")) {
      res.setHeader("Content-Type", "text/plain");
      res.end("client version 1.11 is too old");
      return;
    }
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ message: "No such container: nosuch" }));
  });
  const client = new EngineClient({ host: d.host, env: {} });
  try {
    await assert.rejects(client.containerInspect("nosuch"), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 404);
      assert.equal(err.message, "No such container: nosuch");
      assert.equal(String(err), "Error response from daemon: No such container: nosuch");
      return true;
    });
    await assert.rejects(client.containerStart("plain"), {
      status: 400,
      message: "client version 1.11 is too old",
    });
  } finally {
    client.close();
    await d.close();
  }
});

test("no daemon: docker's connection message", async () => {
  const client = new EngineClient({ host: "unix:///nonexistent/wharf.sock", env: {} });
  try {
    await assert.rejects(client.version(), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.equal(
        err.message,
        "Cannot connect to the Docker daemon at unix:///nonexistent/wharf.sock. Is the docker daemon running?",
      );
      return true;
    });
  } finally {
    client.close();
  }
});

test("JSON bodies, JSON-lines streams and streamed uploads", async () => {
  const d = await fakeDaemon((req, res, body) => {
    if (ping(res, req, "1.50")) return;
    if (req.url?.startsWith("/v1.50/containers/create")) {
      res.statusCode = 201;
      res.end(JSON.stringify({ Id: "abc", Warnings: [], echo: JSON.parse(body) }));
      return;
    }
    if (req.url?.startsWith("/v1.50/images/create")) {
      // Objects split across chunks anywhere, \r\n endings.
      res.write('{"status":"a"}\r\n{"sta');
      setTimeout(() => res.end(`tus":"${body.length}"}\r\n`), 10);
      return;
    }
    if (req.url?.startsWith("/v1.50/events")) {
      res.end(
        '{"Type":"container","Action":"die","Actor":{"ID":"x","Attributes":{}},"time":1,"timeNano":1795432683471386000}\n',
      );
    }
  });
  const client = new EngineClient({ host: d.host, env: {} });
  try {
    const created = await client.containerCreate({ Image: "busybox", Cmd: ["true"] }, { name: "n1" });
    assert.equal(created.Id, "abc");
    const seen = d.seen.find((s) => s.url.includes("containers/create"));
    assert.equal(seen?.url, "/v1.50/containers/create?name=n1");
    assert.equal(seen?.headers["content-type"], "application/json");
    assert.equal(seen?.body, '{"Image":"busybox","Cmd":["true"]}\n');

    const upload = Readable.from([Buffer.from("tar-"), Buffer.from("bytes")]);
    const messages = [];
    for await (const m of await client.imageImport(upload, { repo: "x:1", changes: ['CMD ["sh"]'] }))
      messages.push(m);
    assert.deepEqual(messages, [{ status: "a" }, { status: "9" }]);
    const imp = d.seen.find((s) => s.url.includes("images/create"));
    assert.equal(imp?.url, "/v1.50/images/create?changes=CMD+%5B%22sh%22%5D&fromSrc=-&repo=x%3A1");
    assert.equal(imp?.headers["transfer-encoding"], "chunked");
    assert.equal(imp?.headers["content-type"], "text/plain");

    const events = [];
    for await (const e of await client.events()) events.push(e);
    assert.equal(events[0]?.timeNano, 1795432683471386000n);
  } finally {
    client.close();
    await d.close();
  }
});

test("wait: resolves once headers are in, the status comes later", async () => {
  let finish: (() => void) | undefined;
  const d = await fakeDaemon((req, res) => {
    if (ping(res, req, "1.50")) return;
    res.writeHead(200, { "Content-Type": "application/json" });
    res.flushHeaders();
    finish = () => res.end('{"Error":null,"StatusCode":3}\n');
  });
  const client = new EngineClient({ host: d.host, env: {} });
  try {
    const handle = await client.containerWait("c1", "next-exit");
    assert.equal(d.seen.at(-1)?.url, "/v1.50/containers/c1/wait?condition=next-exit");
    let settled = false;
    void handle.result.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(settled, false);
    finish?.();
    assert.deepEqual(await handle.result, { Error: null, StatusCode: 3 });
  } finally {
    client.close();
    await d.close();
  }
});

test("attach: Upgrade: tcp, 101, mux frames out, raw stdin in, half-close ends it", async () => {
  const d = await fakeDaemon(
    (req, res) => {
      ping(res, req, "1.50");
    },
    (req, sock) => {
      assert.equal(req.headers.upgrade, "tcp");
      assert.equal(req.headers.connection, "Upgrade");
      sock.write(
        "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
      );
      // Echo stdin back as stdout frames; say goodbye on stderr once stdin is closed.
      sock.on("data", (d: Buffer) => sock.write(frame(1, d.toString())));
      sock.on("end", () => sock.end(frame(2, "bye\n")));
    },
  );
  const client = new EngineClient({ host: d.host, env: {} });
  try {
    const { socket } = await client.containerAttach("c1", {
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
    });
    assert.equal(d.seen.at(-1)?.url, "/v1.50/containers/c1/attach?stderr=1&stdin=1&stdout=1&stream=1");
    const out = new PassThrough();
    const err = new PassThrough();
    let o = "";
    let e = "";
    out.on("data", (b: Buffer) => {
      o += b.toString();
    });
    err.on("data", (b: Buffer) => {
      e += b.toString();
    });
    socket.write("piped stdin\n");
    setTimeout(() => socket.end(), 20);
    await demuxStream(socket, out, err);
    assert.equal(o, "piped stdin\n");
    assert.equal(e, "bye\n");
  } finally {
    client.close();
    await d.close();
  }
});

test("attach refused: the daemon's error", async () => {
  const d = await fakeDaemon(
    (req, res) => {
      ping(res, req, "1.50");
    },
    (_req, sock) => {
      const body = '{"message":"No such container: c9"}';
      sock.end(
        `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
    },
  );
  const client = new EngineClient({ host: d.host, env: {} });
  try {
    await assert.rejects(client.containerAttach("c9", { stream: true, stdout: true }), {
      status: 404,
      message: "No such container: c9",
    });
  } finally {
    client.close();
    await d.close();
  }
});
