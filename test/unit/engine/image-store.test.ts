// Pure pieces of the image store: path resolution inside a root, Go file modes, prune's until,
// compression sniffing, chain IDs.
import assert from "node:assert/strict";
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { chainId } from "../../../src/engine/images/layers.ts";
import { parseUntil } from "../../../src/engine/images/maintenance.ts";
import { sniffCompression } from "../../../src/engine/snapshots/apply.ts";
import { goFileMode, resolveInRoot } from "../../../src/engine/snapshots/rootfs.ts";
import { sha256Digest } from "../../../src/util/digest.ts";

describe("image store pure logic", () => {
  const root = mkdtempSync(join(tmpdir(), "wharf-unit-root-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  test("resolveInRoot follows links inside the root only", async () => {
    mkdirSync(join(root, "etc"));
    writeFileSync(join(root, "etc/passwd"), "x");
    symlinkSync("/etc", join(root, "abs"));
    symlinkSync("../../../../etc", join(root, "up"));
    symlinkSync("loop2", join(root, "loop1"));
    symlinkSync("loop1", join(root, "loop2"));
    assert.equal((await resolveInRoot(root, "/abs/passwd", false)).host, join(root, "etc/passwd"));
    assert.equal((await resolveInRoot(root, "/up/passwd", false)).inside, "/etc/passwd");
    assert.equal((await resolveInRoot(root, "/../../etc/passwd", false)).host, join(root, "etc/passwd"));
    assert.equal((await resolveInRoot(root, "/abs", false)).host, join(root, "abs"));
    assert.equal((await resolveInRoot(root, "/abs", true)).inside, "/etc");
    await assert.rejects(resolveInRoot(root, "/loop1/x", false), /too many levels/);
  });

  test("goFileMode sets Go's type bits", () => {
    assert.ok(goFileMode(lstatSync(join(root, "etc"))) >= 2 ** 31);
    assert.equal(goFileMode(lstatSync(join(root, "abs"))) & (1 << 27), 1 << 27);
    assert.equal(goFileMode(lstatSync(join(root, "etc/passwd"))) & ~0o777, 0);
  });

  test("parseUntil: timestamps, RFC 3339 and durations", () => {
    const now = Date.parse("2026-01-02T00:00:00Z");
    assert.equal(parseUntil("1700000000", now), 1_700_000_000_000);
    assert.equal(parseUntil("2026-01-01T00:00:00Z", now), Date.parse("2026-01-01T00:00:00Z"));
    assert.equal(parseUntil("24h", now), Date.parse("2026-01-01T00:00:00Z"));
    assert.equal(parseUntil("1h30m", now), now - 5_400_000);
    assert.throws(() => parseUntil("yesterday", now), /failed to parse/);
  });

  test("compression sniffing and chain IDs", () => {
    assert.equal(sniffCompression(Buffer.from([0x1f, 0x8b, 8, 0])), "gzip");
    assert.equal(sniffCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), "zstd");
    assert.equal(sniffCompression(Buffer.from("etc/")), "none");
    const a = sha256Digest("a");
    const b = sha256Digest("b");
    assert.equal(chainId(null, a), a);
    assert.equal(chainId(a, b), sha256Digest(`${a} ${b}`));
  });
});
