import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";
import { TarHeaderScanner, type TarMember } from "../../../../src/engine/snapshots/tar-headers.ts";

/** Members as the scanner reports them, from a tar GNU tar writes in `format`. */
async function scan(format: string, chunkSize: number): Promise<{ members: TarMember[]; passed: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), "wharf-tarhdr-"));
  try {
    const long = `${"d".repeat(120)}/${"f".repeat(110)}`;
    mkdirSync(join(dir, "d".repeat(120)));
    writeFileSync(join(dir, long), "x".repeat(1000));
    writeFileSync(join(dir, ".wh.gone"), "");
    writeFileSync(join(dir, "big"), Buffer.alloc(5000, 1));
    symlinkSync(`/${"t".repeat(150)}`, join(dir, "link"));
    const tar = execFileSync("tar", [
      "-c",
      `--format=${format}`,
      "-C",
      dir,
      "--sort=name",
      "big",
      "link",
      ".wh.gone",
      long,
    ]);
    const members: TarMember[] = [];
    const passed: Buffer[] = [];
    const chunks: Buffer[] = [];
    for (let i = 0; i < tar.length; i += chunkSize) chunks.push(tar.subarray(i, i + chunkSize));
    await pipeline(Readable.from(chunks), new TarHeaderScanner((m) => members.push(m)), async (source) => {
      for await (const c of source) passed.push(c as Buffer);
    });
    assert.deepEqual(Buffer.concat(passed), tar, "the stream passes through unchanged");
    return { members, passed: Buffer.concat(passed) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const format of ["pax", "gnu"]) {
  for (const chunkSize of [1, 512, 777, 65536]) {
    test(`${format} headers in chunks of ${chunkSize}: long names and links, sizes, types`, async () => {
      const { members } = await scan(format, chunkSize);
      const long = `${"d".repeat(120)}/${"f".repeat(110)}`;
      assert.deepEqual(
        members.map((m) => [m.path, m.type, m.size, m.type === "2" ? m.linkpath : ""]),
        [
          ["big", "0", 5000, ""],
          ["link", "2", 0, `/${"t".repeat(150)}`],
          [".wh.gone", "0", 0, ""],
          [long, "0", 1000, ""],
        ],
      );
    });
  }
}

test("a corrupt size field is an error", async () => {
  const block = Buffer.alloc(512);
  block.write("file", 0);
  block.write("zz", 124);
  block[156] = 0x30;
  await assert.rejects(
    pipeline(Readable.from([block]), new TarHeaderScanner(() => undefined), async (s) => {
      for await (const _ of s);
    }),
    /bad size/,
  );
});
