// Go text/template, as `docker … --format` uses it: the template language with text/template's
// builtin functions and docker's own (json, split, join, title, lower, upper, pad, truncate).
//
// Data is JSON-shaped: objects act as Go maps (missing keys print "<no value>", range visits
// keys in sorted order), integral numbers as ints, other numbers as float64, and function-valued
// properties as methods, so `{{.Label "com.x"}}` can call a row's Label(name) function.

import { executeTemplate } from "./template/exec.ts";
import { BUILTINS, DOCKER_FUNCS, type FuncSpec } from "./template/funcs.ts";
import { type ParsedTemplate, parseTemplate } from "./template/parse.ts";

export { TemplateExecError } from "./template/exec.ts";
export { TemplateParseError } from "./template/parse.ts";

/** An extra template function; it receives the evaluated arguments (missing values as null). */
export type TemplateFunc = (...args: unknown[]) => unknown;

export interface TemplateOptions {
  /** Functions added to (or replacing) the builtin and docker ones. */
  funcs?: Readonly<Record<string, TemplateFunc>>;
}

function toSpecs(funcs: Readonly<Record<string, TemplateFunc>> | undefined): Record<string, FuncSpec> {
  const specs: Record<string, FuncSpec> = {};
  for (const [name, fn] of Object.entries(funcs ?? {})) {
    specs[name] = { params: [], variadic: "any", call: (args) => fn(...args) };
  }
  return specs;
}

/** A parsed template, ready to run against many rows. */
export class Template {
  private readonly parsed: ParsedTemplate;
  private readonly funcs: Readonly<Record<string, FuncSpec>>;

  /** Parses the template; throws an Error with Go's message ("template: :1: …") on bad syntax. */
  constructor(source: string, opts: TemplateOptions = {}) {
    this.funcs = { ...BUILTINS, ...DOCKER_FUNCS, ...toSpecs(opts.funcs) };
    this.parsed = parseTemplate(source, (name) => Object.hasOwn(this.funcs, name));
  }

  /** Runs the template; throws an Error with Go's message on an execution error. */
  execute(data: unknown, overrides?: Readonly<Record<string, FuncSpec>>): string {
    const funcs = overrides ? { ...this.funcs, ...overrides } : this.funcs;
    const { out, error } = executeTemplate(this.parsed, data, funcs);
    if (error) throw error;
    return out;
  }

  /**
   * Runs with some functions swapped (docker's table header rendering) and returns whatever was
   * written before any error, as docker ignores header errors.
   */
  executePartial(data: unknown, overrides: Readonly<Record<string, FuncSpec>>): string {
    return executeTemplate(this.parsed, data, { ...this.funcs, ...overrides }).out;
  }
}

/** Render a Go template against data, e.g. renderTemplate("{{.State.Status}}", inspect). */
export function renderTemplate(template: string, data: unknown, opts?: TemplateOptions): string {
  return new Template(template, opts).execute(data);
}
