// `DOCKER_BUILDKIT=0 docker build` (the classic builder path) and `wharf build` against wharfd.
// Set WHARF_TEST_SOCKET to a reference dockerd's socket to run the docker half against Docker.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { isRoot, startDaemon, type TestDaemon } from "../helpers/daemon.ts";
import { busyboxTar } from "../helpers/images.ts";
import { runAsync } from "../helpers/run.ts";

const hasDocker = spawnSync("docker", ["--version"]).status === 0;
const suffix = `${process.pid}`;
const wharfBin = join(import.meta.dirname, "..", "..", "bin", "wharf");

describe("docker build (classic builder) compatibility", {
  skip: (!isRoot() && "needs root") || (!hasDocker && "docker CLI missing"),
}, () => {
  let d: TestDaemon;
  let dir: string;
  const base = `compat-build-bb-${suffix}:latest`;
  const tags: string[] = [];
  const run = (bin: string, args: string[], input?: string) => {
    const r = spawnSync(bin, ["-H", `unix://${d.socket}`, ...args], {
      encoding: "utf8",
      timeout: 120_000,
      killSignal: "SIGKILL",
      input,
      env: { ...process.env, DOCKER_BUILDKIT: "0" },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const docker = (args: string[], input?: string) => run("docker", args, input);
  // Without blocking the event loop: for builds that download from a server in this process.
  const buildAsync = (bin: string, args: string[], input: string) =>
    runAsync(bin, ["-H", `unix://${d.socket}`, ...args], { env: { DOCKER_BUILDKIT: "0" }, input });
  const wharf = (args: string[], input?: string) => run(wharfBin, args, input);

  before(async () => {
    d = await startDaemon();
    const imported = docker(["import", "-c", 'CMD ["sh"]', await busyboxTar(), base]);
    assert.equal(imported.code, 0, imported.err);
    dir = mkdtempSync(join(tmpdir(), "wharf-build-ctx-"));
    writeFileSync(
      join(dir, "Dockerfile"),
      [
        `FROM ${base} AS build`,
        "ARG MSG=default",
        "COPY msg.txt /src/msg.txt",
        'RUN cat /src/msg.txt > /out.txt && echo "$MSG" >> /out.txt',
        "FROM scratch",
        "COPY --from=build /out.txt /out.txt",
        "COPY --from=build /bin/busybox /bin/cat",
        'ENTRYPOINT ["/bin/cat"]',
        'CMD ["/out.txt"]',
      ].join("\n"),
    );
    writeFileSync(join(dir, "msg.txt"), "from the context\n");
  });
  after(async () => {
    for (const t of [...tags, base]) docker(["rmi", "-f", t]);
    rmSync(dir, { recursive: true, force: true });
    await d?.stop();
  });

  test("multi-stage build, then run; a rebuild is all cache hits; touching a file rebuilds from its step", () => {
    const tag = `compat-build-${suffix}:v1`;
    tags.push(tag);
    const first = docker(["build", "-t", tag, "--build-arg", "MSG=hello", dir]);
    assert.equal(first.code, 0, first.err + first.out);
    assert.match(first.out, /Step 1\/9 : FROM compat-build-bb-\d+:latest AS build\n/);
    assert.match(first.out, /Successfully built [0-9a-f]{12}\n/);
    assert.match(first.out, new RegExp(`Successfully tagged ${tag}\\n`));
    const ran = docker(["run", "--rm", tag]);
    assert.equal(ran.code, 0, ran.err);
    assert.equal(ran.out, "from the context\nhello\n");

    const again = docker(["build", "-t", tag, "--build-arg", "MSG=hello", dir]);
    assert.equal(again.code, 0, again.err);
    assert.equal(again.out.match(/Using cache/g)?.length, 7, again.out);

    writeFileSync(join(dir, "msg.txt"), "changed\n");
    const changed = docker(["build", "-t", tag, "--build-arg", "MSG=hello", dir]);
    assert.equal(changed.code, 0, changed.err);
    assert.equal(changed.out.match(/Using cache/g)?.length, 1, changed.out);
    assert.equal(docker(["run", "--rm", tag]).out, "changed\nhello\n");
  });

  test("-q prints only the ID; -f - reads the Dockerfile from stdin; --target stops there", () => {
    const q = docker(["build", "-q", "-f", "-", dir], `FROM ${base}\nLABEL stdin=yes\n`);
    assert.equal(q.code, 0, q.err);
    assert.match(q.out, /^sha256:[0-9a-f]{64}\n$/);
    const labels = docker(["inspect", "--format", "{{.Config.Labels.stdin}}", q.out.trim()]);
    assert.equal(labels.out, "yes\n");
    // A Dockerfile alone on stdin (the CLI wraps it in a tar), and -f to a file in a subdirectory.
    const bare = docker(["build", "-q", "-"], `FROM ${base}\nLABEL bare=yes\n`);
    assert.equal(bare.code, 0, bare.err);
    assert.equal(docker(["inspect", "--format", "{{.Config.Labels.bare}}", bare.out.trim()]).out, "yes\n");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "sub", "Dockerfile.alt"), `FROM ${base}\nCOPY msg.txt /m\nRUN test -s /m\n`);
    const alt = docker(["build", "-q", "-f", join(dir, "sub", "Dockerfile.alt"), dir]);
    assert.equal(alt.code, 0, alt.err);
    const hosts = docker(
      [
        "build",
        "-q",
        "--no-cache",
        "--add-host",
        "bh1:10.9.8.7",
        "--add-host",
        "bh2:10.9.8.6",
        "-f",
        "-",
        dir,
      ],
      `FROM ${base}\nRUN grep -q bh1 /etc/hosts && grep -q bh2 /etc/hosts\n`,
    );
    assert.equal(hosts.code, 0, hosts.err);
    const tag = `compat-build-${suffix}:target`;
    tags.push(tag);
    const target = docker(["build", "--target", "build", "-t", tag, dir]);
    assert.equal(target.code, 0, target.err);
    assert.match(target.out, /Step 4\/4 : RUN/);
  });

  test("a failing RUN exits with its code and Docker's message; no container is left", () => {
    const r = docker(["build", "-f", "-", dir], `FROM ${base}\nRUN exit 7\n`);
    assert.equal(r.code, 7);
    assert.match(r.err, /The command '\/bin\/sh -c exit 7' returned a non-zero code: 7/);
    const ps = docker(["ps", "-aq", "--filter", `ancestor=${base}`]);
    // Docker keeps the failed step's container unless --force-rm; wharf removes it (issue #9:
    // a failed build leaves no intermediate containers unless --rm=false).
    if (d.owned) assert.equal(ps.out, "");
    else for (const id of ps.out.split("\n").filter(Boolean)) docker(["rm", "-f", id]);
  });

  test("several sources (also by glob) need a destination ending in /", () => {
    for (const [copy, ok] of [
      ["COPY msg.txt Dockerfile /dst", false],
      ["COPY msg.txt Dockerfile .", false],
      ["COPY *.txt Docker* /dst", false],
      ["COPY *.txt /dst", true],
      ["COPY msg.txt Dockerfile /dst/", true],
    ] as const) {
      const r = docker(["build", "-q", "-f", "-", dir], `FROM ${base}\n${copy}\n`);
      if (ok) assert.equal(r.code, 0, `${copy}: ${r.err}`);
      else {
        assert.notEqual(r.code, 0, copy);
        assert.match(
          r.err,
          /When using COPY with more than one source file, the destination must be a directory and end with a \//,
          copy,
        );
      }
    }
  });

  test("COPY globs match as Go's filepath.Match does: * takes dotfiles, never crosses /", () => {
    const ctx = mkdtempSync(join(tmpdir(), "wharf-glob-ctx-"));
    const tag = `compat-glob-${suffix}:1`;
    tags.push(tag);
    try {
      mkdirSync(join(ctx, "sub"));
      for (const f of ["a.txt", ".hidden.txt", "sub/deep.txt"]) writeFileSync(join(ctx, f), f);
      const r = docker(["build", "-q", "-t", tag, "-f", "-", ctx], `FROM ${base}\nCOPY *.txt /dst/\n`);
      assert.equal(r.code, 0, r.err);
      const ls = docker(["run", "--rm", tag, "ls", "-A", "/dst"]);
      assert.equal(ls.out, ".hidden.txt\na.txt\n");
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  });

  // Docker's classic builder refuses both (they are BuildKit syntax); wharf's builder runs them.
  test("heredocs and RUN --mount=type=cache through docker build; docker builder prune empties the cache", (t) => {
    if (!d.owned) return t.skip("a reference dockerd's classic builder has no heredocs or --mount");
    const tag = `compat-build-${suffix}:heredoc`;
    tags.push(tag);
    const dockerfile = (n: string) =>
      [
        `FROM ${base}`,
        `RUN --mount=type=cache,target=/c,id=compat-${suffix} echo ${n} >> /c/log && cp /c/log /log`,
        "COPY <<EOF /greeting.txt",
        "hi from a heredoc",
        "EOF",
        "RUN <<EOF",
        "cat /greeting.txt /log > /all.txt",
        "EOF",
      ].join("\n");
    assert.equal(docker(["build", "-q", "-f", "-", dir], dockerfile("a")).code, 0);
    const r = docker(["build", "-t", tag, "-f", "-", dir], dockerfile("b"));
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /Step 4\/4 : RUN <<EOF\n/);
    assert.equal(docker(["run", "--rm", tag, "cat", "/all.txt"]).out, "hi from a heredoc\na\nb\n");
    const df = docker(["system", "df"]);
    assert.match(df.out, /Build Cache\s+1\s+0\s+[1-9][0-9.]*k?B\s/, df.out);
    const pruned = docker(["builder", "prune", "-f"]);
    assert.equal(pruned.code, 0, pruned.err);
    assert.match(pruned.out, /Total reclaimed space: [1-9][0-9.]*k?B/);
    const after = docker(["build", "-t", tag, "-f", "-", dir], dockerfile("c"));
    assert.equal(after.code, 0, after.err);
    assert.equal(docker(["run", "--rm", tag, "cat", "/log"]).out, "c\n");
  });

  test("COPY --link, RUN --mount=type=cache,from=stage and concurrent stages through docker build", (t) => {
    if (!d.owned) return t.skip("a reference dockerd's classic builder refuses --link and --mount");
    const tag = `compat-build-${suffix}:link`;
    tags.push(tag);
    const dockerfile = [
      `FROM ${base} AS seed`,
      "RUN mkdir /seed && echo seeded > /seed/s.txt",
      `FROM ${base} AS other`,
      "RUN echo other > /other.txt",
      `FROM ${base}`,
      "COPY --link msg.txt /linked/msg.txt",
      `RUN --mount=type=cache,id=compat-seed-${suffix},target=/c,from=seed,source=/seed cat /c/s.txt > /seen.txt`,
      "COPY --from=other /other.txt /other.txt",
    ].join("\n");
    const r = docker(["build", "-t", tag, "-f", "-", dir], dockerfile);
    assert.equal(r.code, 0, r.err + r.out);
    assert.deepEqual(
      [...r.out.matchAll(/^Step (\d+)\/8 /gm)].map((m) => Number(m[1])),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    const out = docker(["run", "--rm", tag, "cat", "/linked/msg.txt", "/seen.txt", "/other.txt"]);
    assert.equal(out.out, `${readFileSync(join(dir, "msg.txt"), "utf8")}seeded\nother\n`);
  });

  test("builder prune: --filter type=…, --keep-storage, -a; a bad filter is refused", (t) => {
    if (!d.owned) return t.skip("a reference dockerd's build cache holds other records");
    const dockerfile = [
      `FROM ${base}`,
      `RUN --mount=type=cache,target=/c,id=compat-prune-${suffix} echo x > /c/f && echo built > /built`,
    ].join("\n");
    assert.equal(docker(["build", "-q", "-f", "-", dir], dockerfile).code, 0);
    const mountsOnly = docker(["builder", "prune", "-f", "--filter", "type=exec.cachemount"]);
    assert.equal(mountsOnly.code, 0, mountsOnly.err);
    assert.match(
      mountsOnly.out,
      new RegExp(`^Deleted build cache objects:\n(\\S+\n)*compat-prune-${suffix}-`),
    );
    // The step cache was left alone: a rebuild is all cache hits.
    assert.match(
      docker(["build", "-f", "-", dir], dockerfile).out,
      /Step 2\/2 : RUN[^\n]*\n ---> Using cache\n/,
    );
    const kept = wharf(["builder", "prune", "-f", "--filter", "type=regular", "--keep-storage", "1GB"]);
    assert.equal(kept.code, 0, kept.err);
    assert.equal(kept.out, "Total reclaimed space: 0B\n");
    const steps = wharf(["builder", "prune", "-f", "-a", "--filter", "type=regular"]);
    assert.equal(steps.code, 0, steps.err);
    assert.match(steps.out, /^Deleted build cache objects:\n[0-9a-f]{64}\n/);
    assert.doesNotMatch(docker(["build", "-f", "-", dir], dockerfile).out, /Using cache/);
    const bad = docker(["builder", "prune", "-f", "--filter", "bogus=1"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /invalid filter 'bogus'/);
  });

  test("ADD <url>: the daemon downloads it (0600, Last-Modified), a rebuild is a cache hit, a 404 fails", async () => {
    let content = "remote v1\n";
    const server = createServer((req, res) => {
      if (req.url === "/files/remote.txt") {
        res.writeHead(200, { "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT" });
        res.end(content);
      } else {
        res.writeHead(404);
        res.end("nope\n");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const tag = `compat-build-${suffix}:addurl`;
      tags.push(tag);
      const dockerfile = `FROM ${base}\nADD ${url}/files/remote.txt /dl/\n`;
      const first = await buildAsync("docker", ["build", "-t", tag, "-f", "-", dir], dockerfile);
      assert.equal(first.code, 0, first.err + first.out);
      assert.match(first.out, /Step 2\/2 : ADD http:\S+ \/dl\/\n\n ---> [0-9a-f]{12}\n/);
      const shown = docker([
        "run",
        "--rm",
        tag,
        "sh",
        "-c",
        "stat -c '%a %Y' /dl/remote.txt && cat /dl/remote.txt",
      ]);
      assert.equal(shown.out, "600 1445412480\nremote v1\n");
      const again = await buildAsync("docker", ["build", "-t", tag, "-f", "-", dir], dockerfile);
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /Step 2\/2 : ADD [^\n]*\n\n ---> Using cache\n/);
      content = "remote v2\n";
      const changed = await buildAsync("docker", ["build", "-t", tag, "-f", "-", dir], dockerfile);
      assert.equal(changed.code, 0, changed.err);
      assert.doesNotMatch(changed.out, /Using cache/);
      assert.equal(docker(["run", "--rm", tag, "cat", "/dl/remote.txt"]).out, "remote v2\n");

      const missing = `FROM ${base}\nADD ${url}/missing.txt /m\n`;
      for (const bin of ["docker", wharfBin]) {
        const r = await buildAsync(bin, ["build", "-f", "-", dir], missing);
        assert.equal(r.code, 1, r.out + r.err);
        assert.match(
          r.err,
          new RegExp(`ADD failed: failed to GET ${url}/missing.txt with status 404 Not Found: nope`),
        );
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("wharf build: the same flags and output", () => {
    const tag = `compat-build-${suffix}:wharf`;
    tags.push(tag);
    const iid = join(dir, "..", `iid-${suffix}`);
    const r = wharf([
      "build",
      "-t",
      tag,
      "--build-arg",
      "MSG=cli",
      "--label",
      "via=wharf",
      "--iidfile",
      iid,
      dir,
    ]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /Step 1\/10 : FROM/);
    assert.match(r.out, new RegExp(`Successfully tagged ${tag}\\n`));
    const id = readFileSync(iid, "utf8");
    rmSync(iid, { force: true });
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(docker(["inspect", "--format", "{{.Config.Labels.via}}", tag]).out, "wharf\n");
    const q = wharf(["build", "-q", "--no-cache", "-"], `FROM ${base}\nRUN true\n`);
    assert.equal(q.code, 0, q.err);
    assert.match(q.out, /^sha256:[0-9a-f]{64}\n$/);
    const pruned = wharf(["builder", "prune", "-f"]);
    assert.equal(pruned.code, 0, pruned.err);
    // A reference dockerd's classic builder keeps no build-cache records to delete; wharf's step
    // cache is its build cache.
    const prunedShape = d.owned
      ? /^Deleted build cache objects:\n(\S+\n)+\nTotal reclaimed space: \S+B\n$/
      : /Total reclaimed space: \S+B\n$/;
    assert.match(pruned.out, prunedShape);
    const failed = wharf(["build", "-"], `FROM ${base}\nRUN exit 4\n`);
    assert.equal(failed.code, 4);
    assert.match(failed.err, /The command '\/bin\/sh -c exit 4' returned a non-zero code: 4/);
  });
});
