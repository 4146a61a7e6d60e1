// Which compose files a command uses, and the project's name: -f flags, else COMPOSE_FILE,
// else compose.yaml / compose.yml / docker-compose.yaml / docker-compose.yml found in the
// working directory or a parent (plus its .override file, as docker compose does).
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

export const defaultFileNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];
const overrideFileNames = [
  "compose.override.yaml",
  "compose.override.yml",
  "docker-compose.override.yaml",
  "docker-compose.override.yml",
];

export class ProjectFileError extends Error {}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** The files to load, absolute; warnings (several default names found) go to `warn`. */
export function findComposeFiles(
  flags: readonly string[],
  env: Record<string, string | undefined>,
  cwd: string,
  warn: (msg: string) => void,
): string[] {
  if (flags.length > 0) return flags.map((f) => (f === "-" ? f : resolve(cwd, f)));
  if (env.COMPOSE_FILE) {
    const sep = env.COMPOSE_PATH_SEPARATOR || ":";
    return env.COMPOSE_FILE.split(sep)
      .filter((f) => f !== "")
      .map((f) => resolve(cwd, f));
  }
  let dir = resolve(cwd);
  for (;;) {
    const found = defaultFileNames.filter((n) => isFile(join(dir, n)));
    if (found.length > 0) {
      if (found.length > 1) {
        warn(
          `Found multiple config files with supported names: ${found.map((f) => join(dir, f)).join(", ")}\nUsing ${join(dir, found[0] as string)}`,
        );
      }
      const files = [join(dir, found[0] as string)];
      const override = overrideFileNames.find((n) => isFile(join(dir, n)));
      if (override) files.push(join(dir, override));
      return files;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ProjectFileError("no configuration file provided: not found");
}

/** compose-go's NormalizeProjectName: lower case, only [a-z0-9_-], starting with a letter or digit. */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "")
    .replace(/^[^a-z0-9]+/, "");
}

export function checkProjectName(name: string): void {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    throw new ProjectFileError(
      `${JSON.stringify(name)} is not a valid project name: it must contain only characters from [a-z0-9_-] and start with [a-z0-9]`,
    );
  }
}

/** -p, then COMPOSE_PROJECT_NAME, then the files' `name:`, then the project directory's name. */
export function projectName(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  fromFiles: string | undefined,
  projectDir: string,
): string {
  for (const explicit of [flag, env.COMPOSE_PROJECT_NAME, fromFiles]) {
    if (explicit) {
      checkProjectName(explicit);
      return explicit;
    }
  }
  const name = normalizeProjectName(basename(projectDir));
  if (name === "") throw new ProjectFileError(`project name must not be empty (directory ${projectDir})`);
  return name;
}
