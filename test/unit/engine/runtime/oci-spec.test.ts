import assert from "node:assert/strict";
import { test } from "node:test";
import { OCI_VERSION, type OciSpec, ociSpecToJson } from "../../../../src/engine/runtime/oci-spec.ts";

const spec: OciSpec = {
  ociVersion: OCI_VERSION,
  process: {
    user: { uid: 0, gid: 0 },
    args: ["true"],
    cwd: "/",
    rlimits: [
      { type: "RLIMIT_CORE", soft: Number.POSITIVE_INFINITY, hard: Number.POSITIVE_INFINITY },
      { type: "RLIMIT_NOFILE", soft: 1024, hard: 20000 },
    ],
  },
};

test("unlimited rlimits serialize as RLIM_INFINITY", () => {
  const text = ociSpecToJson(spec);
  assert.match(text, /"soft":18446744073709551615,"hard":18446744073709551615/);
  assert.match(text, /"soft":1024,"hard":20000/);
  // still valid JSON (the value only loses precision in JS)
  const back = JSON.parse(text) as OciSpec;
  assert.equal(back.process?.rlimits?.[1]?.hard, 20000);
});

test("indentation is passed through and other Infinity values are untouched", () => {
  const text = ociSpecToJson({ ...spec, annotations: { note: "soft" } }, 2);
  assert.match(text, /\n {2}"ociVersion": "1.2.0"/);
  assert.match(text, /"note": "soft"/);
  assert.match(text, /"hard": 18446744073709551615/);
});
