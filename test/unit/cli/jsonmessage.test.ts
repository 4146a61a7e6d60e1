import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { displayJsonMessages, renderJsonMessage } from "../../../src/cli/jsonmessage.ts";
import type { JsonMessage } from "../../../src/client/types.ts";

async function* from(messages: JsonMessage[]): AsyncGenerator<JsonMessage> {
  for (const m of messages) yield m;
}

test("off a terminal: one line per status, progress bars skipped, aux handed over", async () => {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d: Buffer) => {
    text += d.toString();
  });
  const aux: unknown[] = [];
  await displayJsonMessages(
    from([
      { status: "Pulling from library/busybox", id: "latest" },
      { status: "Pulling fs layer", progressDetail: {}, id: "6b7d6076a2a8" },
      {
        status: "Downloading",
        progressDetail: { current: 10, total: 100 },
        progress: "[=>  ]",
        id: "6b7d6076a2a8",
      },
      { status: "Pull complete", progressDetail: {}, id: "6b7d6076a2a8" },
      { aux: { ID: "sha256:abc" } },
      { stream: "Loaded image: x:1\n" },
      { status: "Status: Downloaded newer image for busybox:latest" },
    ]),
    out,
    (a) => aux.push(a),
  );
  assert.equal(
    text,
    "latest: Pulling from library/busybox\n6b7d6076a2a8: Pulling fs layer\n6b7d6076a2a8: Pull complete\n" +
      "Loaded image: x:1\nStatus: Downloaded newer image for busybox:latest\n",
  );
  assert.deepEqual(aux, [{ ID: "sha256:abc" }]);
});

test("an error inside the stream fails the command with its message", async () => {
  await assert.rejects(
    displayJsonMessages(
      from([{ errorDetail: { message: "manifest unknown" }, error: "manifest unknown" }]),
      new PassThrough(),
    ),
    { message: "manifest unknown" },
  );
  assert.equal(renderJsonMessage({ status: "sha256:123" }, false), "sha256:123\n");
});
