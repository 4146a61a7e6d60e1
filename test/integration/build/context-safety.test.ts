// Build contexts crafted to escape: `..`, absolute paths, entries written through a symlink of
// the context, hard links out of it, device nodes. Each is refused before any step runs, or
// (device nodes) left out; nothing is ever written outside the context.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { postBuild, runOutput } from "../../helpers/build.ts";
import { isRoot, startDaemon, type TestDaemon } from "../../helpers/daemon.ts";
import { importBusybox } from "../../helpers/images.ts";
import type { TarEntry } from "../../helpers/tars.ts";

describe("build context safety", { skip: !isRoot() && "needs root" }, () => {
  let d: TestDaemon;
  const outside = mkdtempSync(join(tmpdir(), "wharf-ctx-outside-"));
  before(async () => {
    d = await startDaemon();
    await importBusybox(d.api);
  });
  after(async () => {
    await d?.stop();
    rmSync(outside, { recursive: true, force: true });
  });

  const dockerfile: TarEntry = { name: "Dockerfile", body: "FROM busybox\nCOPY . /ctx/\n" };

  test("escaping entries are refused with a clear 400 before any step runs", async () => {
    const cases: Array<[string, TarEntry[], RegExp]> = [
      ["dotdot", [{ name: `../../../..${outside}/dotdot`, body: "x" }], /path escapes the context/],
      ["absolute", [{ name: `${outside}/absolute`, body: "x" }], /path escapes the context/],
      [
        "through a symlink",
        [
          { name: "lnk", type: "symlink", linkname: outside },
          { name: "lnk/through", body: "x" },
        ],
        /path escapes the context through a symlink: lnk\/through/,
      ],
      [
        "hard link out",
        [{ name: "hl", type: "link", linkname: "../../../../etc/hostname" }],
        /hard link escapes the context: hl -> /,
      ],
      [
        "hard link through a symlink",
        [
          { name: "up", type: "symlink", linkname: "/etc" },
          { name: "hl", type: "link", linkname: "up/hostname" },
        ],
        /hard link through a symlink/,
      ],
    ];
    const images = async () => (await d.api.ok<unknown[]>("GET", "/images/json?all=1")).length;
    const before = await images();
    for (const [what, entries, message] of cases) {
      const r = await postBuild(d.api, [dockerfile, ...entries], "t=ctx:bad");
      assert.equal(r.status, 400, `${what}: ${r.output}`);
      assert.match(r.message ?? "", message, what);
    }
    assert.deepEqual(readdirSync(outside), []);
    assert.equal(await images(), before, "no step ran");
  });

  test("device nodes and a link pointing out are context data, not host access", async () => {
    const r = await postBuild(
      d.api,
      [
        dockerfile,
        { name: "null2", type: "character-device", devmajor: 1, devminor: 3 },
        { name: "out", type: "symlink", linkname: outside },
        { name: "kept", body: "kept\n" },
      ],
      "t=ctx:ok",
    );
    assert.equal(r.status, 200, r.message ?? "");
    assert.ok(r.id, r.output + JSON.stringify(r.last));
    const out = await runOutput(d.api, "ctx:ok", [
      "sh",
      "-c",
      "ls -A /ctx; readlink /ctx/out; cat /ctx/kept",
    ]);
    assert.equal(out, `Dockerfile\nkept\nout\n${outside}\nkept\n`);
    assert.deepEqual(readdirSync(outside), []);
    await d.api.ok("DELETE", "/images/ctx:ok");
  });
});
