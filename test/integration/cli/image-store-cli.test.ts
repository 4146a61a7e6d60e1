// bin/wharf's image-store commands against a real wharfd: save/load, export/import, commit,
// history, diff, cp both ways (and through stdin/stdout), image prune and system df.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CliResult, type Daemon, startDaemon, wharf, wharfBin } from "./harness.ts";

const skip = process.getuid?.() !== 0 && "needs root";

describe("wharf image store commands", { skip, concurrency: false }, () => {
  let daemon: Daemon;
  let work: string;
  const cli = (...args: string[]): Promise<CliResult> => wharf(daemon.host, args);
  const ok = async (...args: string[]) => {
    const r = await cli(...args);
    assert.equal(r.code, 0, `wharf ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  /** Runs a shell pipeline with $WHARF pointing at bin/wharf -H <host>. */
  const sh = (script: string) =>
    execFileSync("sh", ["-c", script], {
      env: { ...process.env, WHARF: `${wharfBin} -H ${daemon.host}` },
      cwd: work,
      encoding: "utf8",
    });

  before(async () => {
    daemon = await startDaemon();
    work = mkdtempSync(join(tmpdir(), "wharf-cli-img-"));
    await ok("image", "bootstrap", "busybox");
    await ok(
      "run",
      "--name",
      "src",
      "busybox",
      "sh",
      "-c",
      "echo hello > /hello; rm /etc/group; mkdir /data; echo 1 > /data/one",
    );
  });
  after(async () => {
    await daemon?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("diff lists A/C/D", async () => {
    const out = await ok("diff", "src");
    assert.match(out, /^A \/hello$/m);
    assert.match(out, /^C \/etc$/m);
    assert.match(out, /^D \/etc\/group$/m);
    assert.match(out, /^A \/data\/one$/m);
    assert.equal((await cli("diff", "nosuch")).code, 1);
  });

  test("commit -a -m -c, then history with --no-trunc, -q and --format", async () => {
    const id = (
      await ok(
        "commit",
        "-a",
        "me <me@x>",
        "-m",
        "first commit",
        "-c",
        "ENV A=1",
        "-c",
        'CMD ["cat", "/hello"]',
        "src",
        "snap:v1",
      )
    ).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await ok("run", "--rm", "snap:v1"), "hello\n");
    const table = await ok("history", "snap:v1");
    const lines = table.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.equal(lines.length, 3);
    assert.match(lines[1] ?? "", new RegExp(`^${id.slice(7, 19)}\\s.*first commit`));
    const quiet = (await ok("history", "-q", "--no-trunc", "snap:v1")).trim().split("\n");
    assert.equal(quiet[0], id);
    assert.equal(
      await ok("history", "--format", "{{.Comment}}|{{.Size}}", "snap:v1").then((o) => o.split("\n")[0]),
      "first commit|8B",
    );
    assert.equal((await cli("history", "nosuch")).code, 1);
  });

  test("save -o and load -i -q round-trip several images", async () => {
    const tarFile = join(work, "both.tar");
    await ok("save", "-o", tarFile, "busybox", "snap:v1");
    const ids = (await ok("images", "-q", "--no-trunc")).trim().split("\n").sort();
    await ok("rmi", "snap:v1");
    const loaded = await ok("load", "-i", tarFile);
    assert.match(loaded, /Loaded image: snap:v1/);
    assert.match(loaded, /Loaded image: busybox:latest/);
    assert.deepEqual((await ok("images", "-q", "--no-trunc")).trim().split("\n").sort(), ids);
    // stdin, quiet
    assert.match(sh(`$WHARF load -q < both.tar`), /Loaded image/);
    const missing = await cli("load", "-i", join(work, "nope.tar"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no such file or directory/);
    assert.match(sh("$WHARF save busybox | tar -t"), /manifest\.json/);
  });

  test("export -o, then import -c -m from a file and from stdin", async () => {
    const exported = join(work, "rootfs.tar");
    await ok("export", "-o", exported, "src");
    const listing = execFileSync("tar", ["-tf", exported], { encoding: "utf8" });
    assert.match(listing, /^hello$/m);
    await ok("import", "-c", "CMD cat /hello", "-m", "from file", exported, "imported:file");
    assert.equal(await ok("run", "--rm", "imported:file"), "hello\n");
    const hist = await ok("history", "--format", "{{.Comment}}", "imported:file");
    assert.equal(hist.trim(), "from file");
    sh(`cat rootfs.tar | $WHARF import -c 'ENTRYPOINT ["cat"]' -c 'CMD ["/data/one"]' - imported:stdin`);
    assert.equal(await ok("run", "--rm", "imported:stdin"), "1\n");
    sh("$WHARF export src > piped.tar");
    assert.match(execFileSync("tar", ["-tf", join(work, "piped.tar")], { encoding: "utf8" }), /^data\/one$/m);
  });

  test("cp both ways, into dirs, as new names, and as tar streams with -", async () => {
    mkdirSync(join(work, "in/sub"), { recursive: true });
    writeFileSync(join(work, "in/sub/a.txt"), "A");
    writeFileSync(join(work, "file.txt"), "F");
    await ok("cp", join(work, "in"), "src:/data");
    await ok("cp", join(work, "file.txt"), "src:/renamed.txt");
    await ok("cp", "src:/data", join(work, "out"));
    assert.equal(readFileSync(join(work, "out/one"), "utf8"), "1\n");
    assert.equal(readFileSync(join(work, "out/in/sub/a.txt"), "utf8"), "A");
    mkdirSync(join(work, "into"));
    await ok("cp", "src:/renamed.txt", join(work, "into"));
    assert.equal(readFileSync(join(work, "into/renamed.txt"), "utf8"), "F");
    await ok("cp", "src:/hello", join(work, "hello.copy"));
    assert.equal(readFileSync(join(work, "hello.copy"), "utf8"), "hello\n");
    assert.match(sh("$WHARF cp src:/data - | tar -t"), /^data\/one$/m);
    sh("tar -c -C in sub | $WHARF cp - src:/tmp");
    assert.equal(
      await ok("start", "-a", "src")
        .then(() => ok("cp", "src:/tmp/sub/a.txt", "-"))
        .then((t) => t.includes("A")),
      true,
    );
    const missing = await cli("cp", "src:/nope", join(work, "x"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Could not find the file \/nope in container src/);
  });

  test("image prune and system df", async () => {
    const df = await ok("system", "df");
    assert.match(df, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/m);
    assert.match(df, /^Images\s+\d+\s+\d+\s+\S+/m);
    const verbose = await ok("system", "df", "-v");
    assert.match(verbose, /Images space usage:/);
    assert.match(verbose, /SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS/);
    // A dangling image: tag moved away.
    await ok("tag", "imported:file", "dangle:x");
    await ok("rmi", "imported:file");
    await ok("commit", "src", "dangle:x");
    const pruned = await ok("image", "prune", "-f");
    assert.match(pruned, /Deleted Images:\ndeleted: sha256:/);
    assert.match(pruned, /Total reclaimed space: /);
    const all = await ok("image", "prune", "-a", "-f", "--filter", "until=1h");
    assert.match(all, /Total reclaimed space: 0B/);
  });
});
