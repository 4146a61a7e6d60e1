// Environment variables and labels from flags and files, as docker/cli's opts package reads
// them: file entries first, then flags; a bare NAME takes its value from the environment.
import { readFileSync } from "node:fs";
import { goOpenError } from "../commands/image-import.ts";

/** opts.ValidateEnv: NAME=value is kept, a bare NAME is looked up (and kept bare if unset). */
export function resolveEnv(value: string, env: NodeJS.ProcessEnv): string {
  const eq = value.indexOf("=");
  const key = eq >= 0 ? value.slice(0, eq) : value;
  if (key === "") throw new Error(`invalid environment variable: ${value}`);
  if (eq >= 0) return value;
  const found = env[key];
  return found !== undefined ? `${key}=${found}` : value;
}

/** opts.ValidateLabel */
export function validateLabel(value: string): void {
  const key = value.split("=")[0] as string;
  if (key.trim() === "") throw new Error(`invalid label '${value}': empty name`);
}

const whitespace = /[ \t\n\v\f\r]/;

/**
 * parseKeyValueFile: NAME=value lines (value kept verbatim), comments and blank lines skipped,
 * a bare NAME resolved through `lookup` (dropped when it has no value).
 */
export function parseKeyValueFile(
  file: string,
  lookup: ((name: string) => string | undefined) | undefined,
): string[] {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw goOpenError(file, err as NodeJS.ErrnoException);
  }
  const text = data.toString("utf8").replace(/^\uFEFF/, "");
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const variable = (eq >= 0 ? line.slice(0, eq) : line).replace(/^[ \t\n\v\f\r]+/, "");
    if (whitespace.test(variable)) throw new Error(`variable '${variable}' contains whitespaces`);
    if (variable === "") throw new Error(`no variable name on line '${line}'`);
    if (eq >= 0) {
      out.push(`${variable}=${line.slice(eq + 1)}`);
    } else {
      const value = lookup?.(line);
      if (value !== undefined) out.push(`${variable.trim()}=${value}`);
    }
  }
  return out;
}

/** --env-file then -e, each resolved. */
export function readEnv(
  files: readonly string[],
  flags: readonly string[],
  env: NodeJS.ProcessEnv,
): string[] {
  const out: string[] = [];
  for (const f of files) out.push(...parseKeyValueFile(f, (name) => env[name]));
  for (const e of flags) out.push(resolveEnv(e, env));
  return out;
}

/** --label-file then -l, as a map ("a" alone is "a": ""). */
export function readLabels(files: readonly string[], flags: readonly string[]): Record<string, string> {
  const all: string[] = [];
  for (const f of files) all.push(...parseKeyValueFile(f, undefined));
  all.push(...flags);
  return kvMap(all);
}

/** opts.ConvertKVStringsToMap */
export function kvMap(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq < 0) out[v] = "";
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
