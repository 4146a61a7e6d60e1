// Following a log file: the follower ends as soon as the writer's end is signalled, not at its
// next poll, and never before it has read what was written up to then. The clock is frozen
// (mocked setTimeout), so a follower that waits for a poll never ends and the test times out;
// the file, fs.watch and the reads are real.
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, beforeEach, describe, mock, test } from "node:test";
import { type LogEntry, readLogs } from "../../../src/engine/containers/logs.ts";

const line = (text: string) => `2026-11-23T08:11:37.000000001+00:00 stdout F ${text}\n`;

describe("log follow", () => {
  const dir = mkdtempSync(join(tmpdir(), "wharf-unit-logs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  const follow = (name: string) => {
    const path = join(dir, name);
    writeFileSync(path, line("first"));
    let ended = false;
    let wake = () => {};
    const entries = readLogs(
      path,
      { stdout: true, stderr: true, follow: true },
      () => ended,
      new AbortController().signal,
      (w) => {
        wake = w;
        return () => {
          wake = () => {};
        };
      },
    );
    return {
      path,
      entries,
      end: () => {
        ended = true;
        wake();
      },
    };
  };
  const text = (e: IteratorResult<LogEntry>) => (e.done ? "(end)" : e.value.data.toString());

  test("ends when the writer ends, with no poll", { timeout: 10_000 }, async () => {
    const f = follow("a.log");
    assert.equal(text(await f.entries.next()), "first\n");
    const next = f.entries.next();
    // Let the follower go to sleep on an unchanged file, then end the writer.
    await new Promise((r) => setImmediate(r));
    f.end();
    assert.equal(text(await next), "(end)");
  });

  test("lines written just before the end are read before it ends", { timeout: 10_000 }, async () => {
    const f = follow("b.log");
    assert.equal(text(await f.entries.next()), "first\n");
    const next = f.entries.next();
    appendFileSync(f.path, line("second") + line("last"));
    f.end();
    assert.equal(text(await next), "second\n");
    assert.equal(text(await f.entries.next()), "last\n");
    assert.equal(text(await f.entries.next()), "(end)");
  });
});
