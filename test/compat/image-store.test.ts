// The image store driven by tools no one here wrote: the docker CLI (save/load/export/import/
// commit/history/diff/cp), skopeo (docker-archive:, oci:, oci-archive: from and to wharf's
// archives) and, when the reference dockerd runs (bench/docker-reference.sh), images moved both
// ways between it and wharfd. WHARF_TEST_SOCKET runs the docker CLI checks against Docker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const hasSkopeo = spawnSync("skopeo", ["--version"]).status === 0;
const referenceSocket = "/run/wharf-bench/docker.sock";
const suffix = `${process.pid}`;

function runTool(cmd: string, args: string[], input?: Buffer) {
  const r = spawnSync(cmd, args, { input, timeout: 120_000, maxBuffer: 512 * 1024 * 1024 });
  return {
    code: r.status,
    out: r.stdout?.toString("utf8") ?? "",
    err: r.stderr?.toString("utf8") ?? "",
    raw: r.stdout,
  };
}

describe("image store with docker CLI, skopeo and a reference dockerd", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  let work: string;
  const image = `compat-img-${suffix}:latest`;
  const docker = (...args: string[]) => runTool("docker", ["-H", `unix://${d.socket}`, ...args]);
  const ok = (...args: string[]) => {
    const r = docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(" ")}: ${r.err}`);
    return r.out;
  };

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync(join(tmpdir(), "wharf-compat-img-"));
    ok("import", "-c", 'CMD ["sh"]', "-m", "base", await busyboxTar(), image);
    ok("run", "--name", `src-${suffix}`, image, "sh", "-c", "echo hello > /hello; rm /etc/group");
  });
  after(async () => {
    docker("rm", "-f", `src-${suffix}`);
    for (const tag of [
      image,
      `compat-commit-${suffix}:v1`,
      `compat-import-${suffix}:v1`,
      `compat-skopeo-${suffix}:v1`,
      `compat-oci-${suffix}:v1`,
      `compat-ref-${suffix}:v1`,
    ])
      docker("rmi", "-f", tag);
    await d?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("docker diff, commit, history", () => {
    const diff = ok("diff", `src-${suffix}`);
    assert.match(diff, /^A \/hello$/m);
    assert.match(diff, /^D \/etc\/group$/m);
    const id = ok(
      "commit",
      "-a",
      "tester",
      "-m",
      "committed",
      "-c",
      "ENV X=1",
      `src-${suffix}`,
      `compat-commit-${suffix}:v1`,
    ).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(
      ok("run", "--rm", `compat-commit-${suffix}:v1`, "sh", "-c", "cat /hello; echo $X"),
      "hello\n1\n",
    );
    const history = ok("history", "--format", "{{.Comment}}", `compat-commit-${suffix}:v1`);
    assert.deepEqual(history.trim().split("\n"), ["committed", "base"]);
    assert.equal(ok("history", "-q", "--no-trunc", `compat-commit-${suffix}:v1`).split("\n")[0], id);
  });

  test("docker cp both ways, including tar streams", () => {
    writeFileSync(join(work, "local.txt"), "local");
    ok("cp", join(work, "local.txt"), `src-${suffix}:/tmp/`);
    ok("cp", `src-${suffix}:/tmp/local.txt`, join(work, "back.txt"));
    assert.equal(readFileSync(join(work, "back.txt"), "utf8"), "local");
    ok("cp", `src-${suffix}:/hello`, work);
    assert.equal(readFileSync(join(work, "hello"), "utf8"), "hello\n");
    const tar = docker("cp", `src-${suffix}:/hello`, "-");
    assert.equal(tar.code, 0, tar.err);
    assert.equal(runTool("tar", ["-t"], tar.raw).out, "hello\n");
    const missing = docker("cp", `src-${suffix}:/nope`, work);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /Could not find the file \/nope in container/);
  });

  test("docker save / load / export / import", () => {
    const saved = join(work, "saved.tar");
    ok("save", "-o", saved, image, `compat-commit-${suffix}:v1`);
    const listing = runTool("tar", ["-tf", saved]).out;
    assert.match(listing, /^manifest\.json$/m);
    ok("rmi", `compat-commit-${suffix}:v1`);
    const loaded = ok("load", "-i", saved);
    assert.match(loaded, new RegExp(`Loaded image: compat-commit-${suffix}:v1`));
    assert.equal(ok("run", "--rm", `compat-commit-${suffix}:v1`, "cat", "/hello"), "hello\n");

    const exported = join(work, "exported.tar");
    ok("export", "-o", exported, `src-${suffix}`);
    ok("import", "-c", "CMD cat /hello", "-m", "imported", exported, `compat-import-${suffix}:v1`);
    assert.equal(ok("run", "--rm", `compat-import-${suffix}:v1`), "hello\n");
    assert.equal(
      ok("image", "inspect", "--format", "{{.Comment}}", `compat-import-${suffix}:v1`).trim(),
      "imported",
    );
  });

  test("skopeo reads wharf's archive (docker-archive:, oci-archive:) and wharf loads what skopeo writes", {
    skip: !hasSkopeo && "skopeo missing",
  }, () => {
    const saved = join(work, "for-skopeo.tar");
    ok("save", "-o", saved, `compat-commit-${suffix}:v1`);
    const ociDir = join(work, "oci");
    const toOci = runTool("skopeo", ["copy", `docker-archive:${saved}`, `oci:${ociDir}:v1`]);
    assert.equal(toOci.code, 0, toOci.err);
    // wharf's save is also an OCI layout: skopeo reads it as an oci-archive.
    const asOci = runTool("skopeo", ["inspect", `oci-archive:${saved}:v1`]);
    assert.equal(asOci.code, 0, asOci.err);
    assert.match(asOci.out, /"Layers"/);
    const back = join(work, "from-skopeo.tar");
    const toArchive = runTool("skopeo", [
      "copy",
      `oci:${ociDir}:v1`,
      `docker-archive:${back}:compat-skopeo-${suffix}:v1`,
    ]);
    assert.equal(toArchive.code, 0, toArchive.err);
    assert.match(ok("load", "-i", back), new RegExp(`compat-skopeo-${suffix}:v1`));
    assert.equal(ok("run", "--rm", `compat-skopeo-${suffix}:v1`, "cat", "/hello"), "hello\n");
    // A plain OCI archive (index.json, no manifest.json), gzip layers.
    const ociArchive = join(work, "oci.tar");
    const toOciArchive = runTool("skopeo", [
      "copy",
      "--dest-compress",
      `oci:${ociDir}:v1`,
      `oci-archive:${ociArchive}:docker.io/library/compat-oci-${suffix}:v1`,
    ]);
    assert.equal(toOciArchive.code, 0, toOciArchive.err);
    assert.match(ok("load", "-i", ociArchive), /Loaded image/);
    assert.equal(ok("run", "--rm", `compat-oci-${suffix}:v1`, "cat", "/hello"), "hello\n");
  });

  test("images move both ways between wharfd and the reference dockerd", {
    skip:
      (!existsSync(referenceSocket) && "reference dockerd not running") ||
      (process.env.WHARF_TEST_SOCKET !== undefined && "already against a reference"),
  }, () => {
    const ref = (...args: string[]) => runTool("docker", ["-H", `unix://${referenceSocket}`, ...args]);
    if (ref("version").code !== 0) return;
    const tag = `compat-ref-${suffix}:v1`;
    try {
      // wharf → Docker
      const fromWharf = join(work, "to-docker.tar");
      ok("save", "-o", fromWharf, `compat-commit-${suffix}:v1`);
      const load = ref("load", "-i", fromWharf);
      assert.equal(load.code, 0, load.err);
      assert.equal(
        ref("image", "inspect", "--format", "{{.Id}}", `compat-commit-${suffix}:v1`).out.trim(),
        ok("image", "inspect", "--format", "{{.Id}}", `compat-commit-${suffix}:v1`).trim(),
      );
      const run = ref("run", "--rm", "--network", "none", `compat-commit-${suffix}:v1`, "cat", "/hello");
      assert.equal(run.out, "hello\n", run.err);
      // Docker → wharf (a commit made by Docker)
      const c = ref(
        "run",
        "--network",
        "none",
        "--name",
        `ref-src-${suffix}`,
        `compat-commit-${suffix}:v1`,
        "sh",
        "-c",
        "echo from-docker > /d",
      );
      assert.equal(c.code, 0, c.err);
      assert.equal(ref("commit", `ref-src-${suffix}`, tag).code, 0);
      const fromDocker = join(work, "from-docker.tar");
      assert.equal(ref("save", "-o", fromDocker, tag).code, 0);
      assert.match(ok("load", "-i", fromDocker), new RegExp(`Loaded image: ${tag}`));
      assert.equal(ok("run", "--rm", tag, "cat", "/d", "/hello"), "from-docker\nhello\n");
    } finally {
      ref("rm", "-f", `ref-src-${suffix}`);
      ref("rmi", "-f", tag, `compat-commit-${suffix}:v1`);
    }
  });
});
