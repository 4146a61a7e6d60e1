import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DirSource } from "../../../../src/engine/build/source-fs.ts";
import { pathMatcher } from "../../../../src/util/glob.ts";

test("Go's filepath.Match rules: * and ? stop at /, match dotfiles; classes; escapes", () => {
  const cases: Array<[string, string, boolean]> = [
    ["*.txt", "a.txt", true],
    ["*.txt", ".hidden.txt", true],
    ["*", ".dockerignore", true],
    ["*.txt", "dir/a.txt", false],
    ["*/*.txt", "dir/a.txt", true],
    ["a?c", "abc", true],
    ["a?c", "a/c", false],
    ["[a-c]x", "bx", true],
    ["[^a-c]x", "bx", false],
    ["[^a-c]x", "dx", true],
    ["a\\*", "a*", true],
    ["a\\*", "ab", false],
    ["file.(1)+", "file.(1)+", true],
    ["[", "[", false],
    ["**", "a/b", false],
  ];
  for (const [pattern, path, want] of cases)
    assert.equal(pathMatcher(pattern)(path), want, `${pattern} ~ ${path}`);
});

test("a directory source lists only what the pattern's segments reach", async () => {
  const dir = mkdtempSync(join(tmpdir(), "wharf-glob-"));
  try {
    mkdirSync(join(dir, "app/sub"), { recursive: true });
    for (const f of ["app/a.js", "app/.b.js", "app/c.txt", "app/sub/d.js", "top.js"])
      writeFileSync(join(dir, f), "x");
    const src = new DirSource(dir);
    assert.deepEqual(await src.glob("app/*.js"), ["app/.b.js", "app/a.js"]);
    assert.deepEqual(await src.glob("*/*.js"), ["app/.b.js", "app/a.js"]);
    assert.deepEqual(await src.glob("*.js"), ["top.js"]);
    assert.deepEqual(await src.glob("app/[^a]*"), ["app/.b.js", "app/c.txt", "app/sub"]);
    assert.deepEqual(await src.glob("nope/*"), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
