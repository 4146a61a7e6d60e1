// The pieces under the loader: schema error wording, port/volume short syntax, shell words,
// merge rules on canonical forms.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parsePortShort, parseVolumeShort } from "../../../src/compose/loader/canonical.ts";
import { normalizeProjectName } from "../../../src/compose/loader/files.ts";
import { mergeFiles } from "../../../src/compose/loader/merge.ts";
import { splitShellWords } from "../../../src/compose/loader/shellwords.ts";
import { validateComposeDocument } from "../../../src/compose/loader/validate.ts";
import { parseComposeYaml, RESET } from "../../../src/compose/loader/yaml-file.ts";

const invalid = (doc: unknown) => {
  try {
    validateComposeDocument(doc, "f.yaml");
  } catch (err) {
    return (err as Error).message;
  }
  return "valid";
};

test("schema errors: the most specific problem, named by key path", () => {
  assert.equal(invalid({ services: { a: { image: "x" } } }), "valid");
  assert.equal(
    invalid({ services: { a: { image: 3 } } }),
    "validating f.yaml: services.a.image must be a string",
  );
  assert.equal(
    invalid({ services: { a: { image: "x", depends_on: { b: { condition: "later" } } } } }),
    'validating f.yaml: services.a.depends_on.b.condition must be one of the following: "service_started", "service_healthy", "service_completed_successfully"',
  );
  assert.equal(
    invalid({ services: { a: { image: "x", volumes: [{ target: "/x" }] } } }),
    "validating f.yaml: services.a.volumes.0 missing property 'type'",
  );
  assert.equal(
    invalid({ services: { "bad name": { image: "x" } } }),
    "validating f.yaml: services additional properties 'bad name' not allowed",
  );
  assert.equal(invalid({ services: { a: { image: "x" } }, "x-anything": 1 }), "valid");
  assert.equal(invalid({ version: "3.8", services: {} }), "valid", "the obsolete version key is accepted");
});

test("port short syntax: host ip, ranges, protocols", () => {
  assert.deepEqual(parsePortShort("80", "p"), [{ mode: "ingress", target: 80, protocol: "tcp" }]);
  assert.deepEqual(parsePortShort("8080:80/udp", "p"), [
    { mode: "ingress", target: 80, published: "8080", protocol: "udp" },
  ]);
  assert.deepEqual(parsePortShort("8000-8010:80", "p"), [
    { mode: "ingress", target: 80, published: "8000-8010", protocol: "tcp" },
  ]);
  assert.deepEqual(
    parsePortShort("3000-3001", "p").map((x) => x.target),
    [3000, 3001],
  );
  assert.throws(
    () => parsePortShort("1-2:3-5", "services.a.ports[0]"),
    /services\.a\.ports\[0\]: port ranges don't match/,
  );
  assert.throws(() => parsePortShort("99999", "p"), /invalid port range/);
  assert.throws(() => parsePortShort("abc", "p"), /invalid port/);
});

test("volume short syntax: named, bind, anonymous, modes", () => {
  assert.deepEqual(parseVolumeShort("data:/d", "/base", "v"), {
    type: "volume",
    source: "data",
    target: "/d",
  });
  assert.deepEqual(parseVolumeShort("/d:ro", "/base", "v"), {
    type: "volume",
    target: "/d",
    read_only: true,
  });
  assert.deepEqual(parseVolumeShort("./x:/y:ro,z", "/base", "v"), {
    type: "bind",
    source: "/base/x",
    target: "/y",
    read_only: true,
    bind: { create_host_path: true, selinux: "z" },
  });
  assert.throws(() => parseVolumeShort("a:/b:bogus", "/base", "v"), /invalid mode "bogus"/);
});

test("shell words as compose splits string commands", () => {
  assert.deepEqual(splitShellWords(`sh -c 'echo "a b"; exit 1'`), ["sh", "-c", 'echo "a b"; exit 1']);
  assert.deepEqual(splitShellWords(`echo "x \\"y\\"" z\\ w ''`), ["echo", 'x "y"', "z w", ""]);
  assert.throws(() => splitShellWords("echo 'open"), /unclosed quote/);
});

test("project names are normalised from directory names", () => {
  assert.equal(normalizeProjectName("My App.v2"), "myappv2");
  assert.equal(normalizeProjectName("__x-Y_1"), "x-y_1");
});

test("merge: services merge key by key, !reset drops a service", () => {
  const merged = mergeFiles(
    { services: { a: { image: "x", environment: { A: "1" } }, b: { image: "y" } }, volumes: { v: {} } },
    { services: { a: { environment: { B: "2" } }, b: RESET }, volumes: { w: {} } },
  );
  assert.deepEqual(merged, {
    services: { a: { image: "x", environment: { A: "1", B: "2" } } },
    volumes: { v: {}, w: {} },
  });
});

test("YAML integers with a leading 0 are octal, as go-yaml reads them (file modes)", () => {
  assert.deepEqual(parseComposeYaml("a: 0440\nb: 440\nc: '0440'\nd: 0o444\ne: 0\n", "f.yaml"), {
    a: 0o440,
    b: 440,
    c: "0440",
    d: 0o444,
    e: 0,
  });
});
