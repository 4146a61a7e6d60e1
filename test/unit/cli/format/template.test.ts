import assert from "node:assert/strict";
import { test } from "node:test";
import {
  renderTemplate,
  Template,
  TemplateExecError,
  TemplateParseError,
} from "../../../../src/cli/format/template.ts";
import { GO_TEMPLATE_CASES } from "./go-template-cases.ts";

function run(t: string, data: unknown): { out: string } | { err: string } {
  try {
    return { out: renderTemplate(t, data) };
  } catch (e) {
    return { err: (e as Error).message };
  }
}

test("matches Go's text/template output and errors", () => {
  for (const [t, data, expected] of GO_TEMPLATE_CASES) {
    assert.deepEqual(run(t, data), expected, `template ${JSON.stringify(t)} with ${JSON.stringify(data)}`);
  }
});

test("field paths, missing keys and nil", () => {
  const data = { State: { Status: "running", Pid: 1700000000, Health: null }, Labels: { "com.x": "1" } };
  assert.equal(renderTemplate("{{.State.Status}}", data), "running");
  assert.equal(renderTemplate("{{.State.Pid}}", data), "1700000000");
  assert.equal(renderTemplate("{{.State.Missing}}", data), "<no value>");
  assert.equal(renderTemplate("{{.State.Health}}", data), "<no value>");
  assert.equal(renderTemplate('{{printf "%v" .State.Health}}', data), "<nil>");
  assert.equal(renderTemplate("{{.Nope.Deeper}}", data), "<no value>");
  assert.equal(renderTemplate("{{json .State.Health}}", data), "null");
  assert.equal(renderTemplate("{{.}}", { b: 1, a: [true, "x"] }), "map[a:[true x] b:1]");
});

test('index on a map of strings gives "" for a missing key, like Go\'s map[string]string', () => {
  const data = { Labels: { "com.x": "1" }, Empty: {}, Mixed: { a: 1 } };
  assert.equal(renderTemplate('{{index .Labels "com.x"}}', data), "1");
  assert.equal(renderTemplate('[{{index .Labels "com.y"}}]', data), "[]");
  assert.equal(renderTemplate('[{{index .Empty "k"}}]', data), "[]");
  assert.equal(renderTemplate('[{{index .Mixed "k"}}]', data), "[<no value>]");
});

test("lenient where JSON loses Go's types", () => {
  // []interface{} of strings joins (Go would want a typed []string).
  assert.equal(renderTemplate('{{join .Cmd " "}}', { Cmd: ["sh", "-c", "x"] }), "sh -c x");
  assert.throws(
    () => renderTemplate('{{join .Cmd " "}}', { Cmd: [1] }),
    /expected \[\]string; got \[\]interface \{\}/,
  );
  // JSON cannot tell 2.0 from 2: numbers compare across int and float.
  assert.equal(renderTemplate("{{eq .N 2.0}} {{lt .N 2.5}}", { N: 2 }), "true true");
  assert.equal(renderTemplate('{{printf "%.1f" .CPU}}', { CPU: 2 }), "2.0");
});

test("newer Go features: range over an integer, else with", () => {
  assert.equal(renderTemplate("{{range 3}}{{.}}{{end}}", null), "012");
  assert.equal(renderTemplate("{{range $i := .N}}{{$i}},{{else}}none{{end}}", { N: 0 }), "none");
  assert.equal(renderTemplate("{{with .A}}a{{else with .B}}b={{.}}{{else}}c{{end}}", { B: "v" }), "b=v");
  assert.equal(renderTemplate("{{with .A}}a{{else with .B}}b{{else}}c{{end}}", {}), "c");
});

test("pipelines, variables, trim markers, comments", () => {
  const data = { Names: ["/web", "/db"], Name: "web" };
  assert.equal(renderTemplate("{{.Names | json}}", data), '["/web","/db"]');
  assert.equal(
    renderTemplate("{{$n := .Name}}{{range .Names}}{{$n}}:{{.}} {{end}}", data),
    "web:/web web:/db ",
  );
  assert.equal(renderTemplate("a  {{- /* note */ -}}  b\n{{- .Name -}}\n", data), "abweb");
  assert.equal(
    renderTemplate("{{range $k, $v := .}}{{$k}}={{$v}};{{end}}", { b: 2, a: 1, c: 3 }),
    "a=1;b=2;c=3;",
  );
});

test("docker's functions", () => {
  assert.equal(renderTemplate('{{split .S ":"}}', { S: "a:b" }), "[a b]");
  assert.equal(
    renderTemplate("{{title .S}} {{upper .S}} {{lower .S}}", { S: "hello World" }),
    "Hello World HELLO WORLD hello world",
  );
  assert.equal(renderTemplate("[{{pad .S 2 1}}][{{pad .E 2 1}}]", { S: "x", E: "" }), "[  x ][]");
  assert.equal(renderTemplate("{{truncate .S 3}}|{{truncate .S 10}}", { S: "abcdef" }), "abc|abcdef");
  assert.equal(renderTemplate("{{len .S}}", { S: "héllo" }), "6");
});

test("json is Go's encoding without HTML escaping and without a newline", () => {
  assert.equal(
    renderTemplate("{{json .}}", { z: "<a&b>", a: 1.5, n: null, l: [1e21, 1e-7] }),
    '{"z":"<a&b>","a":1.5,"n":null,"l":[1e+21,1e-7]}',
  );
  assert.equal(
    renderTemplate("{{json .}}", { s: "\u2028\u2029\n\t\u0001" }),
    '{"s":"\\u2028\\u2029\\n\\t\\u0001"}',
  );
  // Methods are not data.
  assert.equal(renderTemplate("{{json .}}", { a: 1, f: () => 2 }), '{"a":1}');
});

test("function-valued fields are methods", () => {
  const row = {
    labels: { "com.x": "v" },
    Label(this: { labels: Record<string, string> }, k: string) {
      return this.labels[k] ?? "";
    },
    Up: () => true,
  };
  assert.equal(renderTemplate('{{.Label "com.x"}}|{{.Label "nope"}}', row), "v|");
  assert.equal(renderTemplate('{{"com.x" | .Label}}', row), "v");
  assert.equal(renderTemplate("{{if .Up}}up{{end}}", row), "up");
  // Object.prototype is not reachable.
  assert.equal(renderTemplate("{{.toString}}", {}), "<no value>");
});

test("extra functions and reuse of a parsed template", () => {
  const t = new Template("{{shout .}}", { funcs: { shout: (s) => String(s).toUpperCase() + "!" } });
  assert.equal(t.execute("a"), "A!");
  assert.equal(t.execute("b"), "B!");
});

test("errors carry Go's messages and types", () => {
  assert.throws(
    () => renderTemplate("{{ .A }", null),
    (e) => e instanceof TemplateParseError && e.message === 'template: :1: unexpected "}" in operand',
  );
  assert.throws(() => renderTemplate("{{nope}}", null), {
    message: 'template: :1: function "nope" not defined',
  });
  assert.throws(() => renderTemplate("{{if .A}}", null), { message: "template: :1: unexpected EOF" });
  assert.throws(
    () => renderTemplate("{{.A.B}}", { A: "s" }),
    (e) =>
      e instanceof TemplateExecError &&
      e.message === 'template: :1:4: executing "" at <.A.B>: can\'t evaluate field B in type interface {}',
  );
  assert.throws(() => renderTemplate("x\n  {{upper 1}}", null), {
    message: 'template: :2:10: executing "" at <1>: expected string; found 1',
  });
});
