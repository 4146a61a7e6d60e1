import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { displayJsonMessages, renderJsonMessage } from "../../../src/cli/jsonmessage.ts";
import { goSeconds, renderProgress } from "../../../src/cli/progress-bar.ts";
import type { JsonMessage } from "../../../src/client/types.ts";

const now = 1_700_000_010_000; // ms
const start = 1_700_000_000; // s: 10 s before now

test("JSONProgress.String(): the bar only past 110 columns, the time left only past 50", () => {
  const half = { current: 1_500_000, total: 3_000_000 };
  // 10 s for half: Go truncates ns per byte (6666 ns), so 9.999 s left prints as 9s.
  assert.equal(renderProgress(half, 200, now), `[${"=".repeat(25)}>${" ".repeat(25)}]    1.5MB/3MB`);
  assert.equal(
    renderProgress({ ...half, start }, 200, now),
    `[${"=".repeat(25)}>${" ".repeat(25)}]    1.5MB/3MB 9s`,
  );
  assert.equal(renderProgress({ ...half, start }, 80, now), "   1.5MB/3MB 9s");
  assert.equal(renderProgress({ ...half, start }, 50, now), "   1.5MB/3MB");
  // A quarter done in 10 s: 30 s left.
  assert.equal(renderProgress({ current: 250, total: 1000, start }, 80, now), "    250B/1kB 30s");
  // Done: full bar and no time left.
  assert.equal(
    renderProgress({ current: 1000, total: 1000, start }, 120, now),
    `[${"=".repeat(50)}>] 1kB/1kB`.replace("] 1kB", "]      1kB"),
  );
  assert.equal(renderProgress({ current: 36_450, total: 0 }, 200, now), " 36.45kB");
  assert.equal(renderProgress({ current: 5000, total: 10 }, 80, now), "     5kB");
  assert.equal(renderProgress({}, 200, now), "");
  assert.equal(renderProgress({ current: 3, total: 10, units: "layers" }, 80, now), "3/10 layers");
});

test("time left reads as Go's time.Duration", () => {
  assert.deepEqual([0, 45, 120, 3605].map(goSeconds), ["0s", "45s", "2m0s", "1h0m5s"]);
});

async function* from(messages: JsonMessage[]): AsyncGenerator<JsonMessage> {
  for (const m of messages) yield m;
}

function terminal(columns: number): PassThrough & { isTTY: boolean; columns: number; text: () => string } {
  let text = "";
  const out = Object.assign(new PassThrough(), { isTTY: true, columns, text: () => text });
  out.on("data", (d: Buffer) => {
    text += d.toString();
  });
  return out;
}

test("on a terminal: one line per layer redrawn in place, sized to the terminal", async () => {
  const msgs: JsonMessage[] = [
    { status: "Pulling from library/busybox", id: "latest" },
    { status: "Downloading", progressDetail: { current: 10, total: 100 }, progress: "ignored", id: "aaa" },
    { status: "Downloading", progressDetail: { current: 20, total: 200 }, id: "bbb" },
    { status: "Pull complete", progressDetail: {}, id: "aaa" },
  ];
  const wide = terminal(120);
  await displayJsonMessages(from(msgs), wide);
  assert.equal(
    wide.text(),
    "latest: Pulling from library/busybox\n" +
      `\n\x1b[1A\r\x1b[2Kaaa: Downloading [=====>${" ".repeat(45)}]      10B/100B\r\x1b[1B` +
      `\n\x1b[1A\r\x1b[2Kbbb: Downloading [=====>${" ".repeat(45)}]      20B/200B\r\x1b[1B` +
      "\x1b[2A\r\x1b[2Kaaa: Pull complete \r\x1b[2B",
  );

  // Narrow, with the time left that pull/push ask for: no bar, an ETA after the sizes.
  const narrow = terminal(80);
  await displayJsonMessages(from(msgs.slice(1, 2)), narrow, undefined, { timeLeft: true });
  assert.match(narrow.text(), /aaa: Downloading {6}10B\/100B \d+s\r/);
  assert.doesNotMatch(narrow.text(), /Downloading \[/);
});

test("wharf pull/push: the average speed since the start, before the time left", () => {
  // 1.5 MB in the 10 s since start: 150 kB/s, 9 s left for the other 1.5 MB.
  const half = { current: 1_500_000, total: 3_000_000, start };
  assert.equal(
    renderProgress(half, 200, now, { speed: true }),
    `[${"=".repeat(25)}>${" ".repeat(25)}]    1.5MB/3MB 150kB/s 9s`,
  );
  assert.equal(renderProgress(half, 80, now, { speed: true }), "   1.5MB/3MB 150kB/s 9s");
  // 25 MB in 2 s: megabytes per second.
  assert.equal(
    renderProgress({ current: 25_000_000, total: 100_000_000, start: 1_700_000_008 }, 80, now, {
      speed: true,
    }),
    "    25MB/100MB 12.5MB/s 6s",
  );
  // Narrow terminals, unknown start, finished transfers and counted units: no speed.
  assert.equal(renderProgress(half, 50, now, { speed: true }), "   1.5MB/3MB");
  assert.equal(renderProgress({ current: 10, total: 20 }, 80, now, { speed: true }), "     10B/20B");
  assert.equal(renderProgress({ current: 20, total: 20, start }, 80, now, { speed: true }), "     20B/20B");
  assert.equal(
    renderProgress({ current: 3, total: 10, units: "layers", start }, 80, now, { speed: true }),
    "3/10 layers 23s",
  );
  // Off by default: docker's own rendering is unchanged.
  assert.equal(renderProgress(half, 80, now), "   1.5MB/3MB 9s");
});

test("a pull line on a terminal carries bytes, speed and time left; off a terminal, none", () => {
  const jm: JsonMessage = {
    status: "Downloading",
    progressDetail: { current: 2_000_000, total: 8_000_000, start },
    id: "0123456789ab",
  };
  assert.equal(
    renderJsonMessage(jm, true, { width: 80, now, speed: true }),
    "\r\x1b[2K0123456789ab: Downloading      2MB/8MB 200kB/s 30s\r",
  );
  assert.equal(renderJsonMessage(jm, false, { width: 80, now, speed: true }), "");
  assert.equal(
    renderJsonMessage({ status: "Pull complete", progressDetail: {}, id: "0123456789ab" }, false),
    "0123456789ab: Pull complete\n",
  );
});
