// POST /build against a real wharfd: instructions, cache, multi-stage, .dockerignore, failures.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { postBuild, runOutput } from "../../helpers/build.ts";
import { isRoot, leaks, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import { makeTar } from "../../helpers/tars.ts";

const build = postBuild;

describe("POST /build", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
  });

  test("RUN, COPY, ENV, WORKDIR, CMD: Docker's stream, history and a runnable image", async () => {
    const r = await build(
      d.api,
      {
        Dockerfile: [
          "FROM busybox",
          "ARG WHO=world",
          "ENV GREETING=hello",
          "WORKDIR /app",
          "COPY hello.txt sub/",
          'RUN echo "$GREETING $WHO" > out.txt && cat out.txt',
          'CMD ["cat", "/app/out.txt", "/app/sub/hello.txt"]',
        ].join("\n"),
        "hello.txt": "from the context\n",
      },
      "t=built:one&t=built:two&buildargs=%7B%22WHO%22%3A%22there%22%7D",
    );
    assert.equal(r.status, 200, r.message ?? r.output);
    assert.match(r.output, /^Step 1\/7 : FROM busybox\n ---> [0-9a-f]{12}\n/);
    assert.match(
      r.output,
      /Step 6\/7 : RUN echo "\$GREETING \$WHO" > out.txt && cat out.txt\n ---> Running in [0-9a-f]{12}\nhello there\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n/,
    );
    assert.match(
      r.output,
      /Successfully built [0-9a-f]{12}\nSuccessfully tagged built:one\nSuccessfully tagged built:two\n$/,
    );
    assert.ok(r.id?.startsWith("sha256:"));
    assert.equal(await runOutput(d.api, "built:two"), "hello there\nfrom the context\n");
    const inspect = await d.api.ok<{ Config: { Env: string[]; WorkingDir: string; Cmd: string[] } }>(
      "GET",
      "/images/built:one/json",
    );
    assert.ok(inspect.Config.Env.includes("GREETING=hello"));
    assert.equal(inspect.Config.WorkingDir, "/app");
    const history = await d.api.call("GET", "/images/built:one/history");
    // GET /images/{name}/history belongs to the image store (#4); checked once it is served.
    if (history.status === 200) {
      const createdBy = history.json<Array<{ CreatedBy: string }>>().map((h) => h.CreatedBy);
      assert.ok(
        createdBy.includes('|1 WHO=there /bin/sh -c echo "$GREETING $WHO" > out.txt && cat out.txt'),
        createdBy.join("\n"),
      );
      assert.ok(createdBy.includes("/bin/sh -c #(nop)  ENV GREETING=hello"));
    }
    // No intermediate containers are left.
    const all = await d.api.ok<unknown[]>("GET", "/containers/json?all=1");
    assert.equal(all.length, 0);
  });

  test("a rebuild is all cache hits; changing one copied file rebuilds from that step on", async () => {
    const files = {
      Dockerfile: ["FROM busybox", "RUN echo first > /first", "COPY a.txt /a.txt", "RUN cat /a.txt"].join(
        "\n",
      ),
      "a.txt": "one\n",
    };
    const first = await build(d.api, files, "t=cache:test");
    assert.equal(first.status, 200);
    assert.ok(first.id, JSON.stringify(first.lines));
    const again = await build(d.api, files, "t=cache:test");
    assert.equal(again.id, first.id);
    assert.equal(again.output.match(/---> Using cache/g)?.length, 3, again.output);
    assert.doesNotMatch(again.output, /Running in/);
    const changed = await build(d.api, { ...files, "a.txt": "two\n" }, "t=cache:test");
    assert.notEqual(changed.id, first.id);
    assert.equal(changed.output.match(/---> Using cache/g)?.length, 1, changed.output);
    assert.match(changed.output, /Running in [0-9a-f]{12}\ntwo\n/);
    const nocache = await build(d.api, files, "nocache=1");
    assert.doesNotMatch(nocache.output, /Using cache/);
    if (d.owned) {
      // The cache lives in SQLite: it survives a daemon restart.
      await d.crash();
      await d.restart();
      const afterRestart = await build(d.api, files, "t=cache:test");
      assert.equal(afterRestart.output.match(/---> Using cache/g)?.length, 3, afterRestart.output);
      const pruned = await d.api.ok<{ CachesDeleted: string[] }>("POST", "/build/prune");
      assert.ok(pruned.CachesDeleted.length > 0);
      const afterPrune = await build(d.api, files, "t=cache:test");
      assert.doesNotMatch(afterPrune.output, /Using cache/);
    }
  });

  test("a build cut short by a daemon crash leaves no step container behind; rm=0 ones are kept", async (t) => {
    if (!d.owned) {
      t.skip("crashes the daemon it started");
      return;
    }
    const kept = await build(d.api, { Dockerfile: "FROM busybox\nRUN echo keep > /k" }, "rm=0");
    assert.equal(kept.status, 200, kept.output);
    const keptIds = (await d.api.ok<Array<{ Id: string }>>("GET", "/containers/json?all=1")).map((c) => c.Id);
    assert.equal(keptIds.length, 1, "rm=0 keeps the step container");
    const running = build(d.api, { Dockerfile: "FROM busybox\nRUN sleep 300" }, "t=cut:short");
    running.catch(() => undefined); // the daemon dies under it
    let stepId: string | undefined;
    for (let i = 0; i < 200 && !stepId; i++) {
      const list = await d.api.ok<Array<{ Id: string; State: string }>>("GET", "/containers/json");
      stepId = list.find((c) => c.State === "running")?.Id;
      if (!stepId) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(stepId, "the RUN step's container runs");
    await d.crash();
    await d.restart();
    const left = (await d.api.ok<Array<{ Id: string }>>("GET", "/containers/json?all=1")).map((c) => c.Id);
    assert.deepEqual(left, keptIds, "only the kept container is left");
    assert.equal(
      readFileSync("/proc/self/mountinfo", "utf8").includes(stepId),
      false,
      "its rootfs is unmounted",
    );
    await d.api.ok("DELETE", `/containers/${keptIds[0]}`);
  });

  test("multi-stage with COPY --from, --target, FROM scratch", async () => {
    const files = {
      Dockerfile: [
        "FROM busybox AS builder",
        "RUN mkdir /out && echo built > /out/artifact",
        "FROM scratch AS final",
        "COPY --from=builder /out/artifact /artifact",
        "COPY --from=builder /bin/busybox /bin/cat",
        'ENTRYPOINT ["/bin/cat"]',
        'CMD ["/artifact"]',
      ].join("\n"),
    };
    const r = await build(d.api, files, "t=multi:stage");
    assert.equal(r.status, 200, r.output);
    assert.equal(await runOutput(d.api, "multi:stage"), "built\n");
    const target = await build(d.api, files, "t=multi:target&target=builder");
    assert.match(target.output, /Step 2\/2 : RUN/);
    const missing = await build(d.api, files, "target=nope");
    assert.match(
      missing.lines.at(-1)?.error ?? missing.message ?? "",
      /failed to reach build target nope in Dockerfile/,
    );
  });

  test("extrahosts and shmsize reach the RUN containers", async () => {
    const r = await build(
      d.api,
      {
        Dockerfile:
          "FROM busybox\nRUN grep -q 'builder-host' /etc/hosts && grep -q 'other-host' /etc/hosts && df -k /dev/shm | grep -q 32768\n",
      },
      "extrahosts=builder-host%3A10.1.2.3&extrahosts=other-host%3A10.1.2.4&shmsize=33554432&nocache=1",
    );
    assert.ok(r.id, r.output + JSON.stringify(r.lines.at(-1)));
    const without = await build(d.api, {
      Dockerfile: "FROM busybox\nRUN grep -q 'builder-host' /etc/hosts\n",
    });
    assert.equal(without.lines.at(-1)?.errorDetail?.code, 1, "the check above can fail");
  });

  test(".dockerignore excludes files, with ! exceptions", async () => {
    const r = await build(
      d.api,
      {
        Dockerfile: ["FROM busybox", "COPY . /ctx/", 'CMD ["ls", "-A", "/ctx"]'].join("\n"),
        ".dockerignore": "*.log\n!keep.log\nsecret\n",
        "a.log": "x",
        "keep.log": "x",
        "secret/key": "x",
        "app.txt": "x",
      },
      "t=ignore:test",
    );
    assert.equal(r.status, 200, r.output);
    const listing = (await runOutput(d.api, "ignore:test")).split("\n").filter(Boolean);
    assert.deepEqual(listing.sort(), [".dockerignore", "Dockerfile", "app.txt", "keep.log"]);
  });

  test("ADD unpacks a local tar, COPY --chown/--chmod, USER, ONBUILD triggers in a child build", async () => {
    const inner = await makeTar([{ name: "inner/file.txt", body: "unpacked\n" }]);
    const parent = await build(
      d.api,
      [
        {
          name: "Dockerfile",
          body: [
            "FROM busybox",
            "ADD bundle.tar /opt/",
            "COPY --chown=1000:1001 --chmod=640 secret.txt /opt/secret.txt",
            "ONBUILD RUN echo triggered > /tmp/onbuild.txt",
            "USER 1000",
          ].join("\n"),
        },
        { name: "bundle.tar", body: inner },
        { name: "secret.txt", body: "s\n" },
      ],
      "t=onbuild:parent",
    );
    assert.equal(parent.status, 200, parent.output);
    assert.ok(parent.id, JSON.stringify(parent.lines));
    const listing = await runOutput(d.api, "onbuild:parent", [
      "sh",
      "-c",
      "cat /opt/inner/file.txt; stat -c '%u:%g %a' /opt/secret.txt; id -u",
    ]);
    assert.equal(listing, "unpacked\n1000:1001 640\n1000\n");
    const child = await build(d.api, { Dockerfile: "FROM onbuild:parent\nUSER 0\n" }, "t=onbuild:child");
    assert.ok(child.id, JSON.stringify(child.lines));
    assert.match(child.output, /# Executing 1 build trigger\n/);
    assert.equal(await runOutput(d.api, "onbuild:child", ["cat", "/tmp/onbuild.txt"]), "triggered\n");
    const url = await build(d.api, { Dockerfile: "FROM busybox\nADD http://127.0.0.1:1/x /x\n" });
    assert.equal(
      url.lines.at(-1)?.error,
      'ADD failed: Get "http://127.0.0.1:1/x": dial tcp 127.0.0.1:1: connect: connection refused',
    );
  });

  test("heredocs: RUN <<EOF scripts (shebang, <<-), several heredocs via the shell, COPY <<EOF files", async () => {
    const r = await build(
      d.api,
      {
        Dockerfile: [
          "FROM busybox",
          "ARG WHO=there",
          "RUN <<EOF",
          "echo script-ran > /one.txt",
          "echo line2 >> /one.txt",
          "EOF",
          "RUN <<-EOF",
          "\t#!/bin/sh",
          "\techo shebang:$0 > /two.txt",
          "\tEOF",
          "RUN cat <<A >/three.txt && cat <<-B >>/three.txt",
          "first $WHO",
          "A",
          "\tsecond",
          "\tB",
          "RUN sh <<EOF",
          "echo piped > /four.txt",
          "EOF",
          "COPY <<EOF /etc/five.txt",
          "hello $WHO",
          "EOF",
          'COPY <<"RAW" <<X /six/',
          "raw $WHO",
          "RAW",
          "x",
          "X",
          "RUN echo after-heredocs",
        ].join("\n"),
      },
      "t=heredoc:test&buildargs=%7B%22WHO%22%3A%22you%22%7D",
    );
    assert.equal(r.status, 200, r.message ?? r.output);
    assert.ok(r.id, r.output + JSON.stringify(r.lines.at(-1)));
    assert.match(r.output, /Step 3\/9 : RUN <<EOF\n/);
    const out = await runOutput(d.api, "heredoc:test", [
      "cat",
      "/one.txt",
      "/two.txt",
      "/three.txt",
      "/four.txt",
      "/etc/five.txt",
      "/six/RAW",
      "/six/X",
    ]);
    assert.equal(
      out,
      "script-ran\nline2\nshebang:/dev/pipes/EOF\nfirst you\nsecond\npiped\nhello you\nraw $WHO\nx\n",
    );
    // The script files were bind-mounted, not written into the layers.
    assert.equal(
      await runOutput(d.api, "heredoc:test", ["sh", "-c", "ls /dev/pipes 2>/dev/null | wc -l"]),
      "0\n",
    );
    // A descriptor in front of the marker (`3<<EOF`): the body is that descriptor's input.
    const fd = await build(
      d.api,
      {
        Dockerfile: [
          "FROM busybox",
          "RUN cat /dev/fd/3 3<<EOF > /fd.txt && cat 4<<-B <&4 >> /fd.txt",
          "on three",
          "EOF",
          "\ton four",
          "\tB",
          "RUN echo next >> /fd.txt",
        ].join("\n"),
      },
      "t=heredoc:fd",
    );
    assert.ok(fd.id, fd.output + JSON.stringify(fd.lines.at(-1)));
    assert.match(fd.output, /Step 2\/3 : RUN cat \/dev\/fd\/3 3<<EOF > \/fd.txt/);
    assert.equal(await runOutput(d.api, "heredoc:fd", ["cat", "/fd.txt"]), "on three\non four\nnext\n");
    const unterminated = await build(d.api, { Dockerfile: "FROM busybox\nRUN <<EOF\necho x\n" });
    assert.equal(unterminated.status, 400);
    assert.match(unterminated.message ?? "", /unterminated heredoc EOF/);
  });

  test("RUN --mount: cache persists across builds outside the layers, prune empties it; binds are read-only", async () => {
    const dockerfile = (marker: string) =>
      [
        "FROM busybox AS tools",
        "RUN mkdir /out && echo from-stage > /out/tool.txt",
        "FROM busybox",
        `RUN --mount=type=cache,target=/cache,id=wharf-test echo ${marker} >> /cache/log && cat /cache/log > /seen.txt`,
        "RUN --mount=type=bind,source=data,target=/data cat /data/in.txt > /bound.txt && ! touch /data/new 2>/dev/null",
        "RUN --mount=type=bind,source=data,target=/data,rw touch /data/scratch && ls /data > /rw.txt",
        "RUN --mount=type=bind,from=tools,source=/out,target=/tools cat /tools/tool.txt > /stage.txt",
        "RUN --mount=type=bind,source=link,target=/l ls /l > /link.txt",
      ].join("\n");
    const context = (marker: string) => [
      { name: "Dockerfile", body: dockerfile(marker) },
      { name: "data/in.txt", body: "from-context\n" },
      { name: "link", type: "symlink" as const, linkname: "../../../../data" },
    ];
    const first = await build(d.api, context("one"), "t=mounts:one");
    assert.ok(first.id, first.output + JSON.stringify(first.lines.at(-1)));
    const second = await build(d.api, context("two"), "t=mounts:two");
    assert.ok(second.id, second.output + JSON.stringify(second.lines.at(-1)));
    const out = await runOutput(d.api, "mounts:two", [
      "sh",
      "-c",
      "cat /seen.txt /bound.txt /rw.txt /stage.txt /link.txt; ls -A /cache 2>&1 | wc -l",
    ]);
    // The cache kept "one" from the first build; the symlink's ".." stopped at the context root.
    assert.match(out, /^one\ntwo\nfrom-context\nin.txt\nscratch\nfrom-stage\nin.txt\n/);
    assert.match(out, /0\n$/, "the cache content is not in the image");
    const df = await d.api.ok<{
      BuilderSize: number;
      BuildCache: Array<{ ID: string; Type: string; Description: string; Size: number; UsageCount: number }>;
    }>("GET", "/system/df?type=build-cache");
    const entry = df.BuildCache.find((c) => c.ID.startsWith("wharf-test"));
    assert.equal(entry?.Type, "exec.cachemount");
    assert.match(entry?.Description ?? "", /^cached mount \/cache from exec \/bin\/sh -c echo one/);
    assert.equal(entry?.UsageCount, 2);
    assert.ok((entry?.Size ?? 0) > 0 && df.BuilderSize >= (entry?.Size ?? 0), JSON.stringify(df));
    const pruned = await d.api.ok<{ CachesDeleted: string[]; SpaceReclaimed: number }>(
      "POST",
      "/build/prune",
    );
    assert.ok(pruned.SpaceReclaimed >= (entry?.Size ?? 1), JSON.stringify(pruned));
    const emptied = await d.api.ok<{ BuildCache: unknown }>("GET", "/system/df?type=build-cache");
    assert.equal(emptied.BuildCache, null);
    assert.ok(
      pruned.CachesDeleted.some((c) => c.startsWith("wharf-test")),
      JSON.stringify(pruned),
    );
    const third = await build(d.api, context("three"), "t=mounts:three");
    assert.ok(third.id, third.output + JSON.stringify(third.lines.at(-1)));
    assert.equal(await runOutput(d.api, "mounts:three", ["cat", "/seen.txt"]), "three\n");
    const secret = await build(d.api, { Dockerfile: "FROM busybox\nRUN --mount=type=secret,id=x true\n" });
    assert.match(secret.lines.at(-1)?.error ?? secret.message ?? "", /type=secret is not supported/);
    if (d.owned) assert.deepEqual(leaks(d.dataRoot).mounts, []);
  });

  test("a failing RUN: Docker's error with the exit code, no container or mount left", async () => {
    const r = await build(d.api, { Dockerfile: "FROM busybox\nRUN echo before && exit 3\n" }, "t=fail:test");
    const last = r.lines.at(-1);
    assert.equal(last?.error, "The command '/bin/sh -c echo before && exit 3' returned a non-zero code: 3");
    assert.equal(last?.errorDetail?.code, 3);
    assert.match(r.output, /before\n/);
    assert.equal((await d.api.call("GET", "/images/fail:test/json")).status, 404);
    assert.equal((await d.api.ok<unknown[]>("GET", "/containers/json?all=1")).length, 0);
    if (d.owned) assert.deepEqual(leaks(d.dataRoot).mounts, []);
  });

  test("a client that goes away mid-RUN stops the build; its container is removed", async () => {
    const body = await makeTar([
      { name: "Dockerfile", body: "FROM busybox\nRUN echo started && sleep 60\n" },
    ]);
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          socketPath: d.socket,
          method: "POST",
          path: "/build?t=cancel:test",
          headers: { "Content-Type": "application/x-tar" },
        },
        (res) => {
          res.on("data", (chunk: Buffer) => {
            if (chunk.toString().includes("started")) {
              req.destroy();
              resolve();
            }
          });
          res.on("error", () => undefined);
        },
      );
      req.on("error", () => undefined);
      req.on("close", () => resolve());
      req.end(body);
      setTimeout(() => reject(new Error("the RUN never started")), 60_000).unref();
    });
    const deadline = Date.now() + 20_000;
    let left: unknown[] = [];
    while (Date.now() < deadline) {
      left = await d.api.ok<unknown[]>("GET", "/containers/json?all=1");
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(left.length, 0);
    assert.equal((await d.api.call("GET", "/images/cancel:test/json")).status, 404);
    if (d.owned) assert.deepEqual(leaks(d.dataRoot).mounts, []);
  });

  test("bad input: unknown instruction (400), COPY outside the context, missing file, escaping tar", async () => {
    const unknown = await build(d.api, { Dockerfile: "FROM busybox\nFROBNICATE x\n" });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.message, "dockerfile parse error on line 2: unknown instruction: FROBNICATE");
    const outside = await build(d.api, { Dockerfile: "FROM busybox\nCOPY ../etc/passwd /x\n" });
    assert.match(
      outside.lines.at(-1)?.error ?? "",
      /forbidden path outside the build context: \.\.\/etc\/passwd/,
    );
    const missing = await build(d.api, { Dockerfile: "FROM busybox\nCOPY nope /x\n" });
    assert.match(
      missing.lines.at(-1)?.error ?? "",
      /COPY failed: file not found in build context or excluded by .dockerignore: stat nope: file does not exist/,
    );
    const escaping = await build(d.api, [
      { name: "Dockerfile", body: "FROM busybox\n" },
      { name: "../../escaped", body: "x" },
    ]);
    assert.equal(escaping.status, 400);
    assert.match(escaping.message ?? "", /escapes the context/);
    const noDockerfile = await build(d.api, { "a.txt": "x" });
    assert.equal(noDockerfile.status, 400);
    assert.match(noDockerfile.message ?? "", /Cannot locate specified Dockerfile: Dockerfile/);
  });
});
