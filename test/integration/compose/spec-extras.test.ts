// Compose features beyond the basics, against a real wharfd: volume subpath, secrets and
// configs from environment/content, run --service-ports / -p, up --attach / --no-attach,
// depends_on restart: true. Projects of the local busybox image; everything is torn down.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose interpolation in the fixtures
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { after, before, describe, test } from "node:test";
import { EngineClient } from "../../../src/client/engine-client.ts";
import { type Daemon, startDaemon, wharf } from "../cli/harness.ts";
import { compose, projectDir } from "./helpers.ts";

describe("compose spec extras against wharfd", {
  skip: process.getuid?.() !== 0 ? "needs root" : false,
  concurrency: false,
}, () => {
  let daemon: Daemon;
  let client: EngineClient;
  const dirs: string[] = [];
  const dir = (files: Record<string, string>, name: string) => {
    const d = projectDir(files, name);
    dirs.push(dirname(d));
    return d;
  };
  /** The exit code of a project container, once it has exited. */
  const exitOf = async (name: string) =>
    (await (await client.containerWait(name, "not-running")).result).StatusCode;
  const logsOf = async (d: string, service: string) =>
    (await compose(daemon.host, d, ["logs", "--no-log-prefix", service])).stdout;

  before(async () => {
    daemon = await startDaemon();
    client = new EngineClient({ host: daemon.host, env: {} });
    const r = await wharf(daemon.host, ["image", "bootstrap", "busybox"]);
    assert.equal(r.code, 0, r.stderr);
  });

  after(async () => {
    client?.close();
    await daemon?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("volume subpath: the service sees only that part of the named volume", async () => {
    const d = dir(
      {
        "compose.yaml": `
services:
  seed:
    image: busybox
    command: sh -c 'mkdir -p /v/sub && echo in-sub > /v/sub/f && echo at-root > /v/top'
    volumes: [data:/v]
  reader:
    image: busybox
    command: sh -c 'ls /s; cat /s/f'
    depends_on:
      seed: { condition: service_completed_successfully }
    volumes:
      - type: volume
        source: data
        target: /s
        read_only: true
        volume: { subpath: sub }
volumes:
  data: {}
`,
      },
      "subp",
    );
    const up = await compose(daemon.host, d, ["up", "-d"]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(await exitOf("subp-reader-1"), 0);
    assert.equal(await logsOf(d, "reader"), "f\nin-sub\n");
    const info = await client.containerInspect("subp-reader-1");
    assert.deepEqual((info.HostConfig as { Mounts?: unknown[] }).Mounts, [
      {
        Type: "volume",
        Source: "subp_data",
        Target: "/s",
        ReadOnly: true,
        VolumeOptions: { Subpath: "sub" },
      },
    ]);
    assert.equal((await compose(daemon.host, d, ["down", "-v", "-t", "1"])).code, 0);
  });
});
