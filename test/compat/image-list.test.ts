// Which images `docker images` lists: a classic build's intermediate images are hidden unless -a,
// dangling means untagged with no child image, and rmi deletes an image's dangling parents.
// Set WHARF_TEST_SOCKET to a reference dockerd's socket to run the same checks against Docker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const suffix = `${process.pid}`;
const wharfBin = join(import.meta.dirname, "..", "..", "bin", "wharf");

describe("docker images: intermediate and dangling images", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  let dir: string;
  const base = `compat-list-bb-${suffix}:latest`;
  const image = `compat-list-${suffix}:v1`;
  const docker = (...args: string[]) => cli("docker", args);
  const cli = (bin: string, args: string[]) => {
    const r = spawnSync(bin, ["-H", `unix://${d.socket}`, ...args], {
      encoding: "utf8",
      timeout: 120_000,
      killSignal: "SIGKILL",
      env: { ...process.env, DOCKER_BUILDKIT: "0" },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ok = (...args: string[]) => {
    const r = docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(" ")}: ${r.err}`);
    return r.out;
  };
  const ids = (...args: string[]) =>
    ok("images", "-q", "--no-trunc", ...args)
      .trim()
      .split("\n");
  const parent = (id: string) => ok("image", "inspect", "-f", "{{.Parent}}", id).trim();
  const build = (label: string) => {
    writeFileSync(
      join(dir, "Dockerfile"),
      [`FROM ${base}`, "RUN echo a > /a", "RUN echo b > /b", `LABEL step=${label}`].join("\n"),
    );
    ok("build", "-q", "-t", image, dir);
    return ok("image", "inspect", "-f", "{{.Id}}", image).trim();
  };

  before(async () => {
    d = await startDaemon();
    ok("import", "-c", 'CMD ["sh"]', await busyboxTar(), base);
    dir = mkdtempSync(join(tmpdir(), "wharf-list-ctx-"));
  });
  after(async () => {
    docker("rmi", "-f", `compat-list-other-${suffix}:x`);
    docker("rmi", "-f", image);
    docker("rmi", "-f", base);
    rmSync(dir, { recursive: true, force: true });
    await d?.stop();
  });

  test("intermediates hidden unless -a; dangling = untagged without children; rmi prunes parents", () => {
    const first = build("one");
    const runB = parent(first);
    const runA = parent(runB);
    assert.equal(parent(runA), ok("image", "inspect", "-f", "{{.Id}}", base).trim());

    const listed = ids();
    assert.ok(listed.includes(first));
    assert.ok(!listed.includes(runA) && !listed.includes(runB), "intermediate images are hidden");
    const all = ids("-a");
    assert.ok(all.includes(runA) && all.includes(runB), "-a shows intermediate images");
    const allRow = ok("images", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}");
    assert.match(allRow, new RegExp(`^${runB} <none>:<none>$`, "m"));
    // wharf's own CLI lists the same way.
    const wharfIds = (...args: string[]) => {
      const r = cli(wharfBin, ["images", "-q", "--no-trunc", ...args]);
      assert.equal(r.code, 0, r.err);
      return r.out.trim().split("\n");
    };
    assert.ok(!wharfIds().includes(runB));
    assert.ok(wharfIds("-a").includes(runB));

    // A rebuild with another label re-uses the RUN steps: the first image is left untagged with
    // no child (dangling); the intermediates are untagged but have children (not dangling).
    const second = build("two");
    assert.notEqual(second, first);
    assert.equal(parent(second), runB);
    for (const extra of [[], ["-a"]]) {
      const dangling = ids(...extra, "-f", "dangling=true");
      assert.ok(dangling.includes(first), "the replaced image is dangling");
      assert.ok(!dangling.includes(runA) && !dangling.includes(runB), "intermediates are not dangling");
      assert.ok(!dangling.includes(second));
      const notDangling = ids(...extra, "-f", "dangling=false");
      assert.ok(notDangling.includes(second));
      assert.ok(!notDangling.some((id) => [first, runA, runB].includes(id)));
    }
    const bad = docker("images", "-f", "dangling=yes");
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /Invalid filter 'dangling=\[yes\]'/);

    const refused = docker("rmi", runB);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.err,
      /unable to delete \w{12} \(cannot be forced\) - image has dependent child images/,
    );

    // The intermediates still have the first image as a child: removing `second` stops there.
    const removed = ok("rmi", image);
    assert.match(removed, new RegExp(`^Deleted: ${second}$`, "m"));
    assert.ok(ids("-a").includes(runB));
    // Removing the last child takes the dangling parents with it, down to the tagged base.
    const cascade = ok("rmi", first);
    for (const id of [first, runB, runA]) assert.match(cascade, new RegExp(`^Deleted: ${id}$`, "m"));
    const left = ids("-a");
    assert.ok(![first, runA, runB, second].some((id) => left.includes(id)));
    assert.ok(ids().includes(ok("image", "inspect", "-f", "{{.Id}}", base).trim()));
  });

  test("a reference filter lists only the matching tags of an image", () => {
    const other = `compat-list-other-${suffix}:x`;
    ok("tag", base, other);
    const rows = (...args: string[]) =>
      ok("images", "--format", "{{.Repository}}:{{.Tag}}", ...args)
        .trim()
        .split("\n")
        .sort();
    assert.deepEqual(rows(`compat-list-other-${suffix}`), [other]);
    assert.deepEqual(rows("--filter", `reference=compat-list-*-${suffix}:x`), [other]);
    assert.deepEqual(rows("--filter", `reference=compat-list-bb-${suffix}`), [base]);
    assert.deepEqual(rows("--filter", `reference=compat-list-[o]ther-${suffix}:?`), [other]);
    ok("rmi", other);
  });

  test('a missing image is named as Docker names it (":latest" implied)', () => {
    const name = `compat-list-missing-${suffix}`;
    for (const args of [
      ["rmi", name],
      ["history", name],
      ["tag", name, `${name}-b`],
    ]) {
      const r = docker(...args);
      assert.notEqual(r.code, 0);
      assert.equal(r.err, `Error response from daemon: No such image: ${name}:latest\n`, args.join(" "));
    }
    const res = spawnSync("curl", ["-s", "--unix-socket", d.socket, `http://x/images/${name}/json`], {
      encoding: "utf8",
      timeout: 60_000,
      killSignal: "SIGKILL",
    });
    assert.deepEqual(JSON.parse(res.stdout), {
      message: `no such image: ${name}: No such image: ${name}:latest`,
    });
  });
});
