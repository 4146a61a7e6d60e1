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
import { deepLayers, makeDockerArchive } from "../helpers/archives.ts";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const hasSkopeo = spawnSync("skopeo", ["--version"]).status === 0;
const referenceSocket = "/run/wharf-bench/docker.sock";
const wharfBin = join(import.meta.dirname, "..", "..", "bin", "wharf");
const suffix = `${process.pid}`;

function runTool(cmd: string, args: string[], input?: Buffer) {
  const r = spawnSync(cmd, args, {
    input,
    timeout: 120_000,
    killSignal: "SIGKILL",
    maxBuffer: 512 * 1024 * 1024,
  });
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
  let baseTar: string;
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
    baseTar = await busyboxTar();
    ok("import", "-c", 'CMD ["sh"]', "-m", "base", baseTar, image);
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
      `compat-zstd-${suffix}:v1`,
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
      "-c",
      "HEALTHCHECK --interval=5s CMD true",
      `src-${suffix}`,
      `compat-commit-${suffix}:v1`,
    ).trim();
    assert.equal(
      ok("image", "inspect", "--format", "{{json .Config.Healthcheck}}", `compat-commit-${suffix}:v1`).trim(),
      '{"Test":["CMD-SHELL","true"],"Interval":5000000000}',
    );
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

  test("docker save | docker load -q through pipes; images --digests/--filter/--format; image inspect", () => {
    const sh = (script: string) => runTool("bash", ["-o", "pipefail", "-c", script]);
    const host = `-H unix://${d.socket}`;
    const piped = sh(`docker ${host} save ${image} | docker ${host} load -q`);
    assert.equal(piped.code, 0, piped.err);
    assert.equal(piped.out, `Loaded image: ${image}\n`);
    const rows = ok(
      "images",
      "--digests",
      "--filter",
      `reference=compat-img-${suffix}`,
      "--format",
      "{{.Repository}}:{{.Tag}} {{.Digest}} {{.ID}}",
    );
    const id = ok("image", "inspect", "--format", "{{.Id}}", image).trim();
    assert.equal(rows, `compat-img-${suffix}:latest <none> ${id.slice(7, 19)}\n`);
    const inspected = JSON.parse(ok("image", "inspect", image)) as Array<{ Id: string; RepoTags: string[] }>;
    assert.equal(inspected[0]?.Id, id);
    assert.deepEqual(inspected[0]?.RepoTags, [image]);
    const missing = docker("image", "inspect", `compat-nope-${suffix}`);
    assert.equal(missing.code, 1);
    assert.match(missing.err, new RegExp(`No such image: compat-nope-${suffix}`));
  });

  test("rmi -f of an image a stopped container uses: the container keeps its layers and starts", () => {
    const tag = `compat-held-${suffix}:v1`;
    const name = `held-${suffix}`;
    try {
      ok("tag", image, tag);
      const c = docker(
        "run",
        "--name",
        name,
        "--network",
        "none",
        tag,
        "sh",
        "-c",
        "echo held >> /held; cat /held",
      );
      assert.equal(c.out, "held\n", c.err);
      // An image with a layer of its own (/held), so that layer is the container's alone.
      ok("commit", name, tag);
      const id = ok("image", "inspect", "--format", "{{.Id}}", tag).trim();
      ok("rm", name);
      const c2 = docker(
        "run",
        "--name",
        name,
        "--network",
        "none",
        tag,
        "sh",
        "-c",
        "echo held >> /held; cat /held",
      );
      assert.equal(c2.out, "held\nheld\n", c2.err);
      const refused = docker("rmi", id);
      assert.equal(refused.code, 1);
      assert.match(
        refused.err,
        /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is being used by stopped container/,
      );
      ok("rmi", "-f", id);
      assert.equal(docker("image", "inspect", id).code, 1);
      assert.equal(ok("start", "-a", name), "held\nheld\nheld\n");
      assert.equal(
        ok("ps", "-a", "--filter", `name=${name}`, "--format", "{{.Image}}").trim(),
        id.slice(7, 19),
      );
    } finally {
      docker("rm", "-f", name);
      docker("rmi", "-f", tag);
    }
  });

  test("a 125-layer image loads and runs; a 126th layer is Docker's 'max depth exceeded'", async () => {
    const deep = join(work, "deep125.tar");
    writeFileSync(
      deep,
      (await makeDockerArchive([{ layers: await deepLayers(124), repoTags: [`compat-deep-${suffix}:125`] }]))
        .tar,
    );
    const tooDeep = join(work, "deep126.tar");
    writeFileSync(
      tooDeep,
      (await makeDockerArchive([{ layers: await deepLayers(125), repoTags: [`compat-deep-${suffix}:126`] }]))
        .tar,
    );
    try {
      assert.match(ok("load", "-i", deep), new RegExp(`Loaded image: compat-deep-${suffix}:125`));
      assert.equal(
        ok("run", "--rm", "--network", "none", `compat-deep-${suffix}:125`, "sh", "-c", "ls /layers | wc -l"),
        "123\n",
      );
      const refused = docker("load", "-i", tooDeep);
      assert.equal(refused.code, 1);
      // A 200 stream ending in the error, as Docker answers: no "Error response from daemon".
      assert.equal(refused.err.trim(), "max depth exceeded");
      assert.equal(docker("image", "inspect", `compat-deep-${suffix}:126`).code, 1);
    } finally {
      docker("rmi", "-f", `compat-deep-${suffix}:125`, `compat-deep-${suffix}:126`);
    }
  });

  test("docker system df -v and image prune -a with a label filter", () => {
    const label = `compat-prune-${suffix}`;
    const tag = `compat-prune-${suffix}:v1`;
    ok("import", "-c", `LABEL ${label}=yes`, "-c", 'CMD ["sh"]', baseTar, tag);
    const df = ok("system", "df", "-v");
    assert.match(df, /^Images space usage:$/m);
    assert.match(
      df,
      /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS$/m,
    );
    // The import shares its only layer with the base image: none of it is unique.
    assert.match(df, new RegExp(`^compat-prune-${suffix}\\s+v1\\s+.*\\s0B\\s+0$`, "m"));
    const pruned = ok("image", "prune", "-a", "-f", "--filter", `label=${label}`);
    assert.match(pruned, new RegExp(`^untagged: ${tag}$`, "m"));
    assert.match(pruned, /^deleted: sha256:[0-9a-f]{64}$/m);
    assert.match(pruned, /^Total reclaimed space: 0B$/m);
    assert.equal(docker("image", "inspect", tag).code, 1);
    assert.equal(docker("image", "inspect", image).code, 0, "unlabelled images stay");
  });

  test("wharf's system df (-v), images --digests, history and image inspect print what docker prints", () => {
    const vol = `df-vol-${suffix}`;
    try {
      ok("create", "--name", vol, "-v", "/data", image, "true");
      const wharf = (...args: string[]) => runTool(wharfBin, ["-H", `unix://${d.socket}`, ...args]);
      // Times move between the two runs, and column widths with them: compare cells.
      const cells = (out: string) =>
        out
          .replace(/(Less than a second|About an? \w+|\d+ \w+) ago/g, "T ago")
          .split("\n")
          .map((l) =>
            l
              .trim()
              .split(/\s{2,}/)
              .join("|"),
          );
      for (const args of [
        ["system", "df"],
        ["system", "df", "-v"],
        ["images", "--digests", "--filter", `reference=compat-*-${suffix}`],
        ["history", `compat-commit-${suffix}:v1`],
        ["history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}", image],
        [
          "image",
          "inspect",
          "--format",
          "{{.Id}} {{.Size}} {{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}",
          image,
        ],
      ]) {
        const mine = wharf(...args);
        assert.equal(mine.code, 0, mine.err);
        assert.deepEqual(cells(mine.out), cells(ok(...args)), args.join(" "));
      }
    } finally {
      docker("rm", "-f", vol);
    }
  });

  test("skopeo reads wharf's archive (docker-archive:, oci-archive:) and wharf loads what skopeo writes", {
    skip: !hasSkopeo && "skopeo missing",
  }, () => {
    const saved = join(work, "for-skopeo.tar");
    ok("save", "-o", saved, `compat-commit-${suffix}:v1`);
    const ociDir = join(work, "oci");
    const toOci = runTool("skopeo", ["copy", `docker-archive:${saved}`, `oci:${ociDir}:v1`]);
    assert.equal(toOci.code, 0, toOci.err);
    // wharf's save is also an OCI layout (as Docker 25+ writes it): skopeo reads it as an
    // oci-archive. Older Dockers (a reference 20.10) write no index.json.
    if (
      /^index\.json$/m.test(runTool("tar", ["-tf", saved]).out) ||
      process.env.WHARF_TEST_SOCKET === undefined
    ) {
      const asOci = runTool("skopeo", ["inspect", `oci-archive:${saved}:v1`]);
      assert.equal(asOci.code, 0, asOci.err);
      assert.match(asOci.out, /"Layers"/);
    }
    const back = join(work, "from-skopeo.tar");
    const toArchive = runTool("skopeo", [
      "copy",
      `oci:${ociDir}:v1`,
      `docker-archive:${back}:compat-skopeo-${suffix}:v1`,
    ]);
    assert.equal(toArchive.code, 0, toArchive.err);
    assert.match(ok("load", "-i", back), new RegExp(`compat-skopeo-${suffix}:v1`));
    assert.equal(ok("run", "--rm", `compat-skopeo-${suffix}:v1`, "cat", "/hello"), "hello\n");
    // A plain OCI archive (index.json, no manifest.json): Docker loads those since 25 (API 1.44).
    const api = ok("version", "--format", "{{.Server.APIVersion}}").trim().split(".").map(Number);
    if ((api[0] ?? 0) === 1 && (api[1] ?? 0) < 44) return;
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
    // zstd layers (OCI media type +zstd), as skopeo compresses them.
    const zstdDir = join(work, "oci-zstd");
    const toZstd = runTool("skopeo", [
      "copy",
      "--dest-compress-format",
      "zstd",
      `docker-archive:${saved}`,
      `oci:${zstdDir}:v1`,
    ]);
    assert.equal(toZstd.code, 0, toZstd.err);
    const blob = (digest: string) => readFileSync(join(zstdDir, "blobs/sha256", digest.slice(7)), "utf8");
    const index = JSON.parse(readFileSync(join(zstdDir, "index.json"), "utf8")) as {
      manifests: Array<{ digest: string }>;
    };
    const manifest = JSON.parse(blob(index.manifests[0]?.digest ?? "")) as {
      layers: Array<{ mediaType: string }>;
    };
    assert.ok(manifest.layers.every((l) => l.mediaType === "application/vnd.oci.image.layer.v1.tar+zstd"));
    const zstdArchive = join(work, "zstd.tar");
    const toZstdArchive = runTool("skopeo", [
      "copy",
      `oci:${zstdDir}:v1`,
      `oci-archive:${zstdArchive}:docker.io/library/compat-zstd-${suffix}:v1`,
    ]);
    assert.equal(toZstdArchive.code, 0, toZstdArchive.err);
    ok("rmi", `compat-oci-${suffix}:v1`);
    assert.match(ok("load", "-i", zstdArchive), new RegExp(`Loaded image: compat-zstd-${suffix}:v1`));
    assert.equal(ok("run", "--rm", `compat-zstd-${suffix}:v1`, "cat", "/hello"), "hello\n");
    // And what wharf saves of it loads back (its layers leave as stored: zstd).
    const resaved = join(work, "zstd-resaved.tar");
    ok("save", "-o", resaved, `compat-zstd-${suffix}:v1`);
    ok("rmi", `compat-zstd-${suffix}:v1`);
    assert.match(ok("load", "-i", resaved), new RegExp(`Loaded image: compat-zstd-${suffix}:v1`));
    assert.equal(ok("run", "--rm", `compat-zstd-${suffix}:v1`, "cat", "/hello"), "hello\n");
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
      // wharf → Docker, through a pipe as users do it.
      const wharfHost = `-H unix://${d.socket}`;
      const refHost = `-H unix://${referenceSocket}`;
      const load = runTool("bash", [
        "-o",
        "pipefail",
        "-c",
        `docker ${wharfHost} save compat-commit-${suffix}:v1 | docker ${refHost} load`,
      ]);
      assert.equal(load.code, 0, load.err);
      assert.equal(load.out, `Loaded image: compat-commit-${suffix}:v1\n`);
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
      const back = runTool("bash", [
        "-o",
        "pipefail",
        "-c",
        `docker ${refHost} save ${tag} | docker ${wharfHost} load`,
      ]);
      assert.equal(back.code, 0, back.err);
      assert.equal(back.out, `Loaded image: ${tag}\n`);
      assert.equal(ok("run", "--rm", tag, "cat", "/d", "/hello"), "from-docker\nhello\n");
    } finally {
      ref("rm", "-f", `ref-src-${suffix}`);
      ref("rmi", "-f", tag, `compat-commit-${suffix}:v1`);
    }
  });
});
