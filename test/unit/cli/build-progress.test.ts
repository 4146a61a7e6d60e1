import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { BuildProgress, displayBuildProgress, TerminalBlock } from "../../../src/cli/build-progress.ts";
import { JsonMessageError } from "../../../src/cli/jsonmessage.ts";
import type { JsonMessage } from "../../../src/client/types.ts";

const s = (stream: string): JsonMessage => ({ stream });

describe("build progress on a terminal", () => {
  it("lists steps with times, CACHED for cache hits, and the running step's output tail", () => {
    const p = new BuildProgress(0);
    p.feed(s("Step 1/3 : FROM busybox\n"), 0);
    p.feed(s(" ---> 1234567890ab\n"), 100);
    p.feed(s("Step 2/3 : RUN echo a\n"), 100);
    p.feed(s(" ---> Using cache\n"), 120);
    p.feed(s(" ---> abcdefabcdef\n"), 120);
    p.feed(s("Step 3/3 : RUN make\n"), 200);
    p.feed(s(" ---> Running in 0123456789ab\n"), 250);
    // Output may come in pieces that are not whole lines.
    p.feed(s("compiling "), 300);
    p.feed(s("one\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\n"), 400);
    assert.deepEqual(p.render(1500, 60), [
      "[+] Building 1.5s (2/3)",
      " => Step 1/3 : FROM busybox                             0.1s",
      " => CACHED Step 2/3 : RUN echo a                        0.0s",
      " => Step 3/3 : RUN make                                 1.3s",
      " => > line 2",
      " => > line 3",
      " => > line 4",
      " => > line 5",
      " => > line 6",
      " => > line 7",
    ]);
  });

  it("when done: every step timed, no output tail, the Successfully lines after the table", () => {
    const p = new BuildProgress(0);
    p.feed(s("Step 1/2 : FROM busybox\n ---> 1234567890ab\n"), 0);
    p.feed(s("Step 2/2 : RUN true\n ---> Running in 0123456789ab\nsome output\n"), 1000);
    p.feed(s("Removing intermediate container 0123456789ab\n ---> fedcba987654\n"), 3000);
    p.feed(s("Successfully built fedcba987654\nSuccessfully tagged x:latest\n"), 3100);
    p.finish(3200, false);
    assert.deepEqual(p.render(9999, 40), [
      "[+] Building 3.2s (2/2) FINISHED",
      " => Step 1/2 : FROM busybox         0.0s",
      " => Step 2/2 : RUN true             2.0s",
    ]);
    assert.deepEqual(p.trailerLines(), ["Successfully built fedcba987654", "Successfully tagged x:latest"]);
  });

  it("a failed step keeps its output in view; long lines are cut to the width", () => {
    const p = new BuildProgress(0);
    p.feed(s(`Step 1/1 : RUN ${"x".repeat(100)}\n ---> Running in 0123456789ab\nboom\tbad\n`), 0);
    p.finish(500, true);
    const lines = p.render(500, 30);
    assert.equal(lines[0], "[+] Building 0.5s (1/1) FAILED");
    assert.ok(lines.every((l) => l.length <= 30));
    assert.equal(lines.at(-1), " => > boom bad");
  });

  it("redraws in place: cursor up over the previous block, clear, new lines", () => {
    const b = new TerminalBlock();
    assert.equal(b.frame(["a", "b"]), "\x1b[Ja\nb\n");
    assert.equal(b.frame(["c"]), "\x1b[2A\r\x1b[Jc\n");
  });

  it("displayBuildProgress: aux to the callback, the stream's error thrown after the final table", async () => {
    const out = Object.assign(new PassThrough(), { columns: 80 });
    let written = "";
    out.on("data", (c: Buffer) => {
      written += c.toString();
    });
    async function* messages(): AsyncGenerator<JsonMessage> {
      yield s("Step 1/1 : RUN exit 3\n ---> Running in 0123456789ab\nlast words\n");
      yield { aux: { ID: "sha256:abc" } };
      yield { errorDetail: { code: 3, message: "returned a non-zero code: 3" }, error: "x" };
    }
    const aux: unknown[] = [];
    await assert.rejects(
      displayBuildProgress(messages(), out, (a) => aux.push(a)),
      (err: unknown) => err instanceof JsonMessageError && err.code === 3,
    );
    assert.deepEqual(aux, [{ ID: "sha256:abc" }]);
    assert.match(written, /FAILED\n => Step 1\/1 : RUN exit 3 +\d+\.\ds\n => > last words\n$/);
  });
});
