// Loads a compose project: files found and read, includes and extends resolved, variables
// interpolated from the environment and .env, each file validated against the schema, files
// merged, short syntaxes expanded, profiles applied — the normalised Project the commands use.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Project } from "../model.ts";
import { canonicalResource, canonicalService } from "./canonical.ts";
import { readDotEnvFile } from "./dotenv.ts";
import { findComposeFiles, ProjectFileError, projectName } from "./files.ts";
import { interpolateTree, type Lookup } from "./interpolate.ts";
import { mergeFiles, mergeService, stripMarkers } from "./merge.ts";
import { normalizeProject } from "./normalize.ts";
import { validateComposeDocument } from "./validate.ts";
import { parseComposeYaml } from "./yaml-file.ts";

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict => v !== null && typeof v === "object" && !Array.isArray(v);

export interface LoadOptions {
  /** -f values as given (relative to cwd); "-" reads stdin text from `stdinText`. */
  files?: readonly string[];
  projectName?: string;
  projectDirectory?: string;
  /** --env-file values; default: <project dir>/.env when it exists. */
  envFiles?: readonly string[];
  /** --profile values; default: COMPOSE_PROFILES. */
  profiles?: readonly string[];
  /** Services named on the command line: enabled whatever their profiles. */
  services?: readonly string[];
  env: Record<string, string | undefined>;
  cwd: string;
  stdinText?: string;
  /** false: `${VAR}` and `$$` are left as written (config --no-interpolate). */
  interpolate?: boolean;
}

/** What one file contributes, before merging with the others. */
interface LoadContext {
  lookup: Lookup;
  warnings: string[];
  /** file#service chain, to name extends cycles. */
  extendsStack: string[];
  /** Files being included, to name include cycles. */
  includeStack: string[];
  readText: (file: string) => string;
  interpolate: boolean;
}

function missingWarner(warnings: string[]): (name: string) => void {
  const seen = new Set<string>();
  return (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    warnings.push(`The "${name}" variable is not set. Defaulting to a blank string.`);
  };
}

/** Parse, interpolate, validate, canonicalise one file (relative paths against baseDir). */
function loadFile(file: string, baseDir: string, ctx: LoadContext): Dict {
  const raw = parseComposeYaml(ctx.readText(file), file);
  const included = processIncludes(raw, file, ctx);
  delete raw.include;
  const data = ctx.interpolate
    ? (interpolateTree(raw, ctx.lookup, missingWarner(ctx.warnings)) as Dict)
    : raw;
  validateComposeDocument(stripMarkers(data), file);
  const services: Dict = {};
  for (const [name, svc] of Object.entries(isDict(data.services) ? data.services : {})) {
    services[name] = isDict(svc) ? canonicalService(svc, baseDir, `services.${name}`) : svc;
  }
  const out: Dict = { ...data, services };
  for (const kind of ["networks", "volumes", "secrets", "configs"]) {
    if (!isDict(data[kind])) continue;
    const res: Dict = {};
    for (const [key, r] of Object.entries(data[kind] as Dict))
      res[key] = canonicalResource(r, baseDir, kind, key);
    out[kind] = res;
  }
  resolveExtends(out, file, baseDir, ctx);
  if (included) {
    for (const name of Object.keys(services)) {
      if (isDict(included.services) && name in included.services) {
        throw new ProjectFileError(`services.${name} conflicts with imported resource`);
      }
    }
    return mergeFiles(included, out);
  }
  return out;
}

/** Resolves `extends` of every service of one loaded file. */
function resolveExtends(doc: Dict, file: string, baseDir: string, ctx: LoadContext): void {
  const services = (doc.services ?? {}) as Dict;
  const resolveOne = (name: string, stack: string[]): Dict => {
    const svc = services[name] as Dict;
    const ext = svc.extends as { service?: string; file?: string } | undefined;
    if (!ext) return svc;
    const id = `${file}#${name}`;
    if (stack.includes(id))
      throw new ProjectFileError(`circular reference with extends: ${[...stack, id].join(" -> ")}`);
    let base: Dict;
    if (ext.file) {
      const other = resolve(baseDir, ext.file);
      const key = `${other}#${ext.service}`;
      if ([...stack, id].includes(key))
        throw new ProjectFileError(`circular reference with extends: ${[...stack, id, key].join(" -> ")}`);
      const otherDoc = loadFile(other, dirname(other), { ...ctx, extendsStack: [...stack, id] });
      const found = (otherDoc.services as Dict | undefined)?.[ext.service as string];
      if (!isDict(found))
        throw new ProjectFileError(
          `cannot extend service "${name}" in ${file}: service "${ext.service}" not found in ${other}`,
        );
      base = found;
    } else {
      if (!isDict(services[ext.service as string])) {
        throw new ProjectFileError(
          `cannot extend service "${name}" in ${file}: service "${ext.service}" not found`,
        );
      }
      base = resolveOne(ext.service as string, [...stack, id]);
    }
    const { extends: _drop, ...own } = svc;
    const merged = mergeService(stripMarkers(base) as Dict, own);
    delete merged.extends;
    services[name] = merged;
    return merged;
  };
  for (const name of Object.keys(services)) if (isDict(services[name])) resolveOne(name, ctx.extendsStack);
}

/** The `include:` entries of a raw file, loaded as sub-projects and merged. */
function processIncludes(raw: Dict, file: string, ctx: LoadContext): Dict | undefined {
  if (!Array.isArray(raw.include) || raw.include.length === 0) return undefined;
  const fileDir = dirname(file);
  let merged: Dict | undefined;
  for (const entry of raw.include as unknown[]) {
    const spec = isDict(entry) ? entry : { path: entry };
    const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) =>
      resolve(fileDir, String(p)),
    );
    for (const p of paths) {
      if (ctx.includeStack.includes(p))
        throw new ProjectFileError(`include cycle: ${[...ctx.includeStack, p].join(" -> ")}`);
    }
    const projectDir = spec.project_directory
      ? resolve(fileDir, String(spec.project_directory))
      : dirname(paths[0] as string);
    const envFiles = spec.env_file
      ? (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map((e) =>
          resolve(fileDir, String(e)),
        )
      : [resolve(projectDir, ".env")].filter((p) => existsSync(p));
    const dotenv: Record<string, string> = {};
    for (const e of envFiles) Object.assign(dotenv, readDotEnvFile(e, ctx.lookup));
    const lookup: Lookup = (name) => ctx.lookup(name) ?? dotenv[name];
    let sub: Dict = {};
    for (const p of paths) {
      const doc = loadFile(p, projectDir, { ...ctx, lookup, includeStack: [...ctx.includeStack, file, p] });
      sub = mergeFiles(sub, doc);
    }
    if (merged) {
      for (const name of Object.keys((sub.services ?? {}) as Dict)) {
        if (name in ((merged.services ?? {}) as Dict))
          throw new ProjectFileError(`services.${name} conflicts with imported resource`);
      }
      merged = mergeFiles(merged, sub);
    } else {
      merged = sub;
    }
  }
  return merged;
}

/** Reads the .env / --env-file values (the process environment wins over them). */
function interpolationEnv(opts: LoadOptions, projectDir: string): Record<string, string> {
  const processEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) processEnv[k] = v;
  const files =
    opts.envFiles && opts.envFiles.length > 0
      ? opts.envFiles.map((f) => resolve(opts.cwd, f))
      : [resolve(projectDir, ".env")].filter((p) => existsSync(p));
  const fromFiles: Record<string, string> = {};
  for (const f of files) {
    if (!existsSync(f)) throw new ProjectFileError(`couldn't find env file: ${f}`);
    Object.assign(
      fromFiles,
      readDotEnvFile(f, (name) => processEnv[name] ?? fromFiles[name]),
    );
  }
  return { ...fromFiles, ...processEnv };
}

/** Loads the project the options describe. */
export function loadProject(opts: LoadOptions): Project {
  const warnings: string[] = [];
  const files = findComposeFiles(opts.files ?? [], opts.env, opts.cwd, (m) => warnings.push(m));
  const first = files[0] as string;
  const projectDir = opts.projectDirectory
    ? resolve(opts.cwd, opts.projectDirectory)
    : first === "-"
      ? opts.cwd
      : dirname(first);
  const environment = interpolationEnv(opts, projectDir);
  const lookup: Lookup = (name) => environment[name];
  const readText = (file: string) => {
    if (file === "-") return opts.stdinText ?? "";
    try {
      return readFileSync(file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ProjectFileError(
        code === "ENOENT" ? `open ${file}: no such file or directory` : `${file}: ${(err as Error).message}`,
      );
    }
  };
  const ctx: LoadContext = {
    lookup,
    warnings,
    extendsStack: [],
    includeStack: [],
    readText,
    interpolate: opts.interpolate !== false,
  };
  let model: Dict = {};
  for (const file of files) model = mergeFiles(model, loadFile(file, projectDir, ctx));
  model = stripMarkers(model) as Dict;
  if (!isDict(model.services) || Object.keys(model.services).length === 0) {
    if (!model.include) throw new ProjectFileError("no service selected");
  }
  const name = projectName(
    opts.projectName,
    environment,
    typeof model.name === "string" ? model.name : undefined,
    projectDir,
  );
  const profiles =
    opts.profiles && opts.profiles.length > 0
      ? [...opts.profiles]
      : (environment.COMPOSE_PROFILES ?? "").split(",").filter((p) => p !== "");
  return normalizeProject(model, {
    name,
    workingDir: projectDir,
    configFiles: files,
    environment,
    profiles,
    targets: opts.services ?? [],
    warnings,
  });
}
