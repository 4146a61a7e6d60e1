// What `docker commit` and `docker diff` see of a container's rw layer: a container that changed
// nothing commits to an image without a new layer (history entry marked empty_layer), and the
// mount points the runtime creates (/etc/hosts, /etc/hostname, /etc/resolv.conf, /proc, /sys,
// /dev) never show up, while the user's own mount points do — as Docker, whose init layer holds
// those stubs. Set WHARF_TEST_SOCKET to a reference dockerd's socket to run against Docker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";
import { makeTar } from "../helpers/tars.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const suffix = `${process.pid}`;

interface SavedConfig {
  rootfs: { diff_ids: string[] };
  history: Array<{ created_by?: string; empty_layer?: boolean }>;
}

describe("docker commit / diff of a container's rw layer", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  let work: string;
  const base = `compat-commit-bb-${suffix}:latest`;
  const bare = `compat-commit-bare-${suffix}:latest`;
  const containers: string[] = [];
  const images: string[] = [];
  const docker = (...args: string[]) => {
    const r = spawnSync("docker", ["-H", `unix://${d.socket}`, ...args], {
      timeout: 120_000,
      killSignal: "SIGKILL",
      maxBuffer: 256 * 1024 * 1024,
    });
    return {
      code: r.status,
      out: r.stdout?.toString("utf8") ?? "",
      err: r.stderr?.toString("utf8") ?? "",
      raw: r.stdout,
    };
  };
  const ok = (...args: string[]) => {
    const r = docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(" ")}: ${r.err}`);
    return r.out;
  };
  const tar = (args: string[], input: Buffer) => {
    const r = spawnSync("tar", args, { input, maxBuffer: 256 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr.toString());
    return r.stdout;
  };
  /** The image's config and the file list of its top layer, from `docker save`. */
  const saved = (image: string) => {
    const archive = docker("save", image).raw;
    const manifest = JSON.parse(tar(["-xO", "manifest.json"], archive).toString()) as Array<{
      Config: string;
      Layers: string[];
    }>;
    const entry = manifest[0] as { Config: string; Layers: string[] };
    const config = JSON.parse(tar(["-xO", entry.Config], archive).toString()) as SavedConfig;
    const top = tar(["-xO", entry.Layers.at(-1) as string], archive);
    return { config, topLayer: tar(["-t"], top).toString().trim().split("\n").sort() };
  };
  const commit = (container: string, image: string) => {
    images.push(image);
    return ok("commit", container, image).trim();
  };
  const create = (name: string, ...args: string[]) => {
    containers.push(name);
    ok("create", "--name", name, ...args);
  };

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync(join(tmpdir(), "wharf-commit-layers-"));
    ok("import", "-c", 'CMD ["sh"]', await busyboxTar(), base);
    // An image with nothing but a static busybox: no /etc, /proc, /sys or /dev of its own.
    const bareTar = join(work, "bare.tar");
    writeFileSync(
      bareTar,
      await makeTar([{ name: "busybox", body: readFileSync("/bin/busybox"), mode: 0o755 }]),
    );
    ok("import", bareTar, bare);
  });
  after(async () => {
    for (const c of containers) docker("rm", "-f", c);
    for (const i of [...images, bare, base]) docker("rmi", "-f", i);
    await d?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("a container with no changes commits to an image with no new layer", () => {
    const name = `compat-commit-none-${suffix}`;
    create(name, base, "true");
    assert.equal(ok("diff", name), "");
    const image = `compat-commit-none-${suffix}:v1`;
    commit(name, image);
    const layers = (ref: string) => ok("image", "inspect", "-f", "{{json .RootFS.Layers}}", ref);
    assert.equal(layers(image), layers(base));
    const { config } = saved(image);
    assert.deepEqual(config.history.at(-1), {
      ...config.history.at(-1),
      created_by: "true",
      empty_layer: true,
    });
    assert.equal(ok("history", "--format", "{{.Size}}", image).split("\n")[0], "0B");
    assert.equal(ok("run", "--rm", image, "cat", "/etc/passwd").length > 0, true);
  });

  test("runtime mount points stay out of diff and commit; the user's own mount points are in", () => {
    // An image without /etc, /proc, /sys, /dev: the runtime makes those mount points itself.
    const quiet = `compat-commit-bare-none-${suffix}`;
    create(quiet, bare, "/busybox", "true");
    ok("start", "-a", quiet);
    assert.equal(ok("diff", quiet), "");
    const quietImage = `compat-commit-bare-none-${suffix}:v1`;
    commit(quiet, quietImage);
    assert.equal(saved(quietImage).config.history.at(-1)?.empty_layer, true);

    const busy = `compat-commit-bare-busy-${suffix}`;
    create(busy, "-v", "/vol", "--tmpfs", "/t", bare, "/busybox", "sh", "-c", "echo x > /etc/newfile");
    ok("start", "-a", busy);
    assert.deepEqual(ok("diff", busy).trim().split("\n").sort(), [
      "A /etc/newfile",
      "A /t",
      "A /vol",
      "C /etc",
    ]);
    const busyImage = `compat-commit-bare-busy-${suffix}:v1`;
    commit(busy, busyImage);
    const { config, topLayer } = saved(busyImage);
    assert.equal(config.history.at(-1)?.empty_layer, undefined);
    assert.deepEqual(topLayer, ["etc/", "etc/newfile", "t/", "vol/"]);

    // The busybox image has /etc but no /etc/hosts: the stub must not copy /etc up either.
    const tmp = `compat-commit-bb-tmp-${suffix}`;
    create(tmp, base, "sh", "-c", "echo x > /tmp/f");
    ok("start", "-a", tmp);
    assert.deepEqual(ok("diff", tmp).trim().split("\n").sort(), ["A /tmp/f", "C /tmp"]);
    const tmpImage = `compat-commit-bb-tmp-${suffix}:v1`;
    commit(tmp, tmpImage);
    assert.deepEqual(saved(tmpImage).topLayer, ["tmp/", "tmp/f"]);
  });
});
