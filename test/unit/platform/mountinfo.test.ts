// Which mount a path lives on, and its propagation fields, from mountinfo text.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseMountinfo, sourceMount } from "../../../src/platform/mountinfo.ts";

const sample = [
  "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
  "60 27 0:50 / /srv/data rw,relatime master:7 - ext4 /dev/vdb rw",
  "61 60 0:51 / /srv/data/with\\040space rw shared:9 master:3 - tmpfs tmpfs rw",
  "62 27 0:52 / /srv/data rw,relatime - tmpfs tmpfs rw",
  "",
].join("\n");

describe("mountinfo", () => {
  const base = mkdtempSync("/tmp/wharf-mountinfo-");
  after(() => rmSync(base, { recursive: true, force: true }));

  test("optional fields and escaped mount points", () => {
    assert.deepEqual(parseMountinfo(sample)[2], {
      mountPoint: "/srv/data/with space",
      optional: ["shared:9", "master:3"],
    });
    assert.deepEqual(parseMountinfo(sample)[0]?.optional, ["shared:1"]);
  });

  test("the deepest mount above the path wins; the last of a stack at one place", async () => {
    // realpath needs a real path: map the sample onto this temp dir's root instead.
    const text = [
      "27 1 254:0 / / rw shared:1 - ext4 /dev/vda rw",
      `60 27 0:50 / ${base} rw master:7 - ext4 /dev/vdb rw`,
      `62 27 0:52 / ${base} rw - tmpfs tmpfs rw`,
      `63 27 0:53 / ${base}x rw shared:4 - tmpfs tmpfs rw`,
    ].join("\n");
    assert.deepEqual(await sourceMount(join(base, "."), text), { mountPoint: base, optional: [] });
    assert.deepEqual(await sourceMount("/", text), { mountPoint: "/", optional: ["shared:1"] });
  });
});
