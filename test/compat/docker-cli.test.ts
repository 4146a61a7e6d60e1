// The real docker CLI (a client no one here wrote) against wharfd. Set WHARF_TEST_SOCKET to a
// reference dockerd's socket to run the same checks against Docker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { dockerAgainst, nowSeconds, pastEvents } from "../helpers/docker-cli.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const suffix = `${process.pid}`;

describe("docker CLI compatibility", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  const image = `compat-bb-${suffix}:latest`;
  const docker = dockerAgainst(() => d.socket);

  before(async () => {
    d = await startDaemon();
    const imported = docker("import", "-c", 'CMD ["sh"]', await busyboxTar(), image);
    assert.equal(imported.code, 0, imported.err);
  });
  after(async () => {
    for (const name of [`web-${suffix}`, `created-${suffix}`]) docker("rm", "-f", name);
    docker("rmi", "-f", image);
    await d?.stop();
  });

  test("docker version and docker info", () => {
    const v = docker("version", "--format", "{{.Server.APIVersion}} {{.Server.Os}}");
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, /^1\.\d+ linux/);
    const info = docker("info", "--format", "{{.Driver}} {{.CgroupDriver}} {{.NCPU}}");
    assert.equal(info.code, 0, info.err);
    assert.match(info.out, /^overlay2 cgroupfs \d+/);
  });

  test("docker run --rm prints the output and exits with the container's code", () => {
    const r = docker("run", "--rm", image, "sh", "-c", "echo hi; exit 3");
    assert.equal(r.out, "hi\n");
    assert.equal(r.code, 3);
  });

  test('--entrypoint overrides the image\'s; --entrypoint "" clears it', async () => {
    const withEntrypoint = `compat-ep-${suffix}:latest`;
    try {
      const imported = docker(
        "import",
        "-c",
        'ENTRYPOINT ["/bin/sh", "-c"]',
        await busyboxTar(),
        withEntrypoint,
      );
      assert.equal(imported.code, 0, imported.err);
      assert.equal(docker("run", "--rm", withEntrypoint, "echo via-entrypoint").out, "via-entrypoint\n");
      assert.equal(
        docker("run", "--rm", "--entrypoint", "echo", withEntrypoint, "replaced").out,
        "replaced\n",
      );
      const cleared = docker("run", "--rm", "--entrypoint", "", withEntrypoint, "echo", "cleared");
      assert.equal(cleared.out, "cleared\n", cleared.err);
    } finally {
      docker("rmi", "-f", withEntrypoint);
    }
  });

  test("top, cp both ways and export are reported as events", () => {
    const name = `evfiles-${suffix}`;
    const since = nowSeconds() - 1;
    try {
      assert.equal(docker("run", "-d", "--name", name, image, "sleep", "60").code, 0);
      assert.equal(docker("top", name).code, 0);
      const tmp = mkdtempSync(join(tmpdir(), "wharf-compat-evfiles-"));
      try {
        writeFileSync(join(tmp, "in.txt"), "in\n");
        assert.equal(docker("cp", join(tmp, "in.txt"), `${name}:/tmp/`).code, 0);
        assert.equal(docker("cp", `${name}:/tmp/in.txt`, join(tmp, "out.txt")).code, 0);
        assert.equal(docker("export", "-o", join(tmp, "fs.tar"), name).code, 0);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      const actions = pastEvents(docker, since, [`container=${name}`], "{{.Action}}");
      for (const expected of ["top", "extract-to-dir", "archive-path", "export"]) {
        assert.ok(actions.includes(expected), `${expected} in ${JSON.stringify(actions)}`);
      }
    } finally {
      docker("rm", "-f", name);
    }
  });

  test("docker run -d, ps, logs, stop, inspect, rm", () => {
    const name = `web-${suffix}`;
    const run = docker(
      "run",
      "-d",
      "--name",
      name,
      image,
      "sh",
      "-c",
      "echo started; trap 'exit 0' TERM; while :; do sleep 0.1; done",
    );
    assert.equal(run.code, 0, run.err);
    assert.match(run.out.trim(), /^[0-9a-f]{64}$/);
    const ps = docker("ps", "--format", "{{.Names}} {{.Status}}");
    assert.match(ps.out, new RegExp(`^${name} Up `, "m"));
    const table = docker("ps");
    assert.match(
      table.out.split("\n")[0] ?? "",
      /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/,
    );
    let logs = docker("logs", name);
    for (let i = 0; i < 20 && logs.out === ""; i++) logs = docker("logs", name);
    assert.equal(logs.out, "started\n");
    assert.equal(docker("inspect", "-f", "{{.State.Status}}", name).out, "running\n");
    assert.equal(docker("stop", name).code, 0);
    assert.equal(docker("inspect", "-f", "{{.State.ExitCode}}", name).out, "0\n");
    assert.equal(
      docker("ps", "-a", "--filter", `name=${name}`, "--format", "{{.Status}}").out.startsWith("Exited (0)"),
      true,
    );
    assert.equal(docker("rm", name).code, 0);
    assert.match(docker("inspect", name).err, /No such object/);
  });

  test("a missing command exits 127 and the name conflict message names the holder", () => {
    const name = `created-${suffix}`;
    const bad = docker("run", "--name", name, image, "nosuchcmd");
    assert.equal(bad.code, 127);
    assert.match(bad.err, /executable file not found/);
    const again = docker("create", "--name", name, image);
    assert.notEqual(again.code, 0);
    assert.match(again.err, /is already in use by container/);
    assert.equal(docker("rm", name).code, 0);
  });

  test("docker images, tag, rmi", () => {
    const images = docker("images", "--format", "{{.Repository}}:{{.Tag}}");
    assert.match(images.out, new RegExp(`^${image}$`, "m"));
    assert.equal(docker("tag", image, `compat-tagged-${suffix}:2`).code, 0);
    assert.match(docker("images").out, new RegExp(`compat-tagged-${suffix}\\s+2\\s+[0-9a-f]{12}`));
    const rmi = docker("rmi", `compat-tagged-${suffix}:2`);
    assert.equal(rmi.code, 0, rmi.err);
    assert.match(rmi.out, /Untagged: compat-tagged/);
  });

  test("docker wait, kill, container prune", () => {
    // Labelled, and pruned by that label: a reference daemon (WHARF_TEST_SOCKET) is shared.
    const label = `compat-prune=${suffix}`;
    const id = docker("run", "-d", "-l", label, image, "sleep", "30").out.trim();
    assert.equal(docker("kill", id).code, 0);
    assert.equal(docker("wait", id).out, "137\n");
    const refused = docker("container", "prune", "-f", "--filter", "bogus=1");
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^Error response from daemon: invalid filter 'bogus'/i);
    assert.equal(docker("inspect", "-f", "{{.State.Status}}", id).out, "exited\n", "nothing was pruned");
    const kept = docker(
      "container",
      "prune",
      "-f",
      "--filter",
      `label=${label}`,
      "--filter",
      `label!=${label}`,
    );
    assert.equal(kept.code, 0, kept.err);
    assert.doesNotMatch(kept.out, new RegExp(id));
    const prune = docker("container", "prune", "-f", "--filter", `label=${label}`);
    assert.equal(prune.code, 0);
    assert.match(prune.out, new RegExp(id));
  });
});
