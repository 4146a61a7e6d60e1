// docker's list output: `--format` as table (header + aligned columns), plain template, or
// json, the way docker/cli's formatter.Context writes it.

import { goJson } from "./gojson.ts";
import { isMap } from "./govalue.ts";
import { DOCKER_TABWRITER, TabWriter } from "./tabwriter.ts";
import { type FuncSpec, HEADER_FUNCS } from "./template/funcs.ts";
import { Template, type TemplateOptions } from "./template.ts";

/** Align tab-separated cells as `docker ps` does; each line gets a trailing newline. */
export function tabulate(lines: readonly string[]): string {
  const w = new TabWriter(DOCKER_TABWRITER);
  for (const line of lines) w.write(line + "\n");
  return w.flush();
}

export interface FormatRowsOptions extends TemplateOptions {
  /** `-q`: print only quietFormat per row. */
  quiet?: boolean;
  /** The quiet template; "{{.ID}}" by default (volumes use "{{.Name}}"). */
  quietFormat?: string;
}

/** The title docker gives a `{{.Label "com.example.name"}}` column: its last dotted part. */
function labelHeader(name: unknown): string {
  const parts = String(name).split(".");
  return parts[parts.length - 1]!.replaceAll("-", " ").replaceAll("_", " ");
}

/** docker 28's wording: "failed to parse template: …" / "failed to execute template: …". */
function wrap(what: "parse" | "execute", e: unknown): Error {
  return new Error(`failed to ${what} template: ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * Render rows for a list command.
 * format: undefined / "" / "table" → defaultTableFormat; "table …" → header row + aligned
 * columns; "json" → one JSON object per line; anything else → the template once per row.
 * headers maps field names to column titles (e.g. {ID: "CONTAINER ID"}); the table's header
 * is its template run against them, with json/split/join/title/lower/upper/truncate passing
 * the title through unchanged, as docker does. Errors read as docker's ("failed to parse template: …").
 */
export function formatRows(
  format: string | undefined,
  defaultTableFormat: string,
  headers: Readonly<Record<string, string>>,
  rows: readonly unknown[],
  opts: FormatRowsOptions = {},
): string {
  let source = format ?? "";
  if (opts.quiet) source = opts.quietFormat ?? "{{.ID}}";
  else if (source === "" || source === "table") source = defaultTableFormat;
  const isTable = source.startsWith("table");
  let body = isTable ? source.slice("table".length) : source === "json" ? "{{json .}}" : source;
  // Users write \t and \n literally on the command line.
  body = body
    .replace(/^ +| +$/g, "")
    .replaceAll("\\t", "\t")
    .replaceAll("\\n", "\n");

  let tmpl: Template;
  try {
    tmpl = new Template(body, opts);
  } catch (e) {
    throw wrap("parse", e);
  }
  let out = "";
  for (const row of rows) {
    // A docker list row marshals itself as a Go map (sorted keys, HTML-escaped); values
    // inside it encode as the json function normally does.
    const json: FuncSpec = {
      params: ["any"],
      call: (a) =>
        a[0] === row && isMap(row) ? goJson(row, { escapeHTML: true, sortKeys: true }) : goJson(a[0]),
    };
    try {
      out += tmpl.execute(row, { json }) + "\n";
    } catch (e) {
      throw wrap("execute", e);
    }
  }
  if (!isTable) return out;

  const headerData = { Label: labelHeader, ...headers };
  const header = tmpl.executePartial(headerData, HEADER_FUNCS);
  const w = new TabWriter(DOCKER_TABWRITER);
  w.write(header + "\n" + out);
  return w.flush();
}
