// Docker contexts, in the docker CLI's own on-disk format so `docker context` and `wharf context`
// share them: $DOCKER_CONFIG (default ~/.docker) holds config.json ("currentContext") and
// contexts/meta/<sha256(name)>/meta.json, with TLS files in contexts/tls/<sha256(name)>/docker/.
// Also which context, and so which daemon, a command line talks to (docker/cli's
// resolveContextName and resolveDockerEndpoint).
import { createHash, createPrivateKey, X509Certificate } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { writeFileAtomicSync } from "../util/fs-atomic.ts";
import { type ArchiveEntry, packArchive, unpackArchive } from "./context-archive.ts";
import { defaultHost } from "./host.ts";
import type { TlsOptions } from "./transport.ts";

export const defaultContextName = "default";
export const defaultContextDescription = "Current DOCKER_HOST based configuration";

/** docker/cli's context name rule (store.ValidateContextName). */
const namePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

export interface DockerEndpointMeta {
  Host: string;
  SkipTLSVerify: boolean;
}

/** meta.json as docker writes it; unknown keys (other endpoints, metadata) are kept. */
export interface ContextMeta {
  Name: string;
  Metadata: { Description?: string; [key: string]: unknown };
  Endpoints: { docker?: DockerEndpointMeta; [key: string]: unknown };
}

export interface TlsFiles {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

const tlsFileNames = ["ca.pem", "cert.pem", "key.pem"] as const;

/** An error whose text is docker's; the CLI prints it as is and exits 1. */
export class ContextError extends Error {}

/** $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), ".docker");
}

/** The folder name docker gives a context: the hex sha256 of its name. */
export function contextDirName(name: string): string {
  return createHash("sha256").update(name).digest("hex");
}

export function validateContextName(name: string): void {
  if (name === "") throw new ContextError("context name cannot be empty");
  if (name === defaultContextName)
    throw new ContextError(`"${defaultContextName}" is a reserved context name`);
  if (!namePattern.test(name)) {
    throw new ContextError(
      `context name "${name}" is invalid, names are validated against regexp "${namePattern.source}"`,
    );
  }
}

/** The `-H`/WHARF_HOST/DOCKER_HOST override of the environment, if any (which variable set it). */
export function hostFromEnv(env: NodeJS.ProcessEnv): { name: string; value: string } | undefined {
  if (env.WHARF_HOST) return { name: "WHARF_HOST", value: env.WHARF_HOST };
  if (env.DOCKER_HOST) return { name: "DOCKER_HOST", value: env.DOCKER_HOST };
  return undefined;
}

/** The built-in "default" context: -H, else WHARF_HOST/DOCKER_HOST, else wharf's socket. */
export function defaultContext(env: NodeJS.ProcessEnv, hostFlag?: string): ContextMeta {
  return {
    Name: defaultContextName,
    Metadata: { Description: defaultContextDescription },
    Endpoints: {
      docker: { Host: hostFlag || hostFromEnv(env)?.value || defaultHost, SkipTLSVerify: false },
    },
  };
}

export class ContextStore {
  readonly configDir: string;

  constructor(configDir: string) {
    this.configDir = configDir;
  }

  static fromEnv(env: NodeJS.ProcessEnv): ContextStore {
    return new ContextStore(dockerConfigDir(env));
  }

  get metaRoot(): string {
    return join(this.configDir, "contexts", "meta");
  }

  get tlsRoot(): string {
    return join(this.configDir, "contexts", "tls");
  }

  metaDir(name: string): string {
    return join(this.metaRoot, contextDirName(name));
  }

  tlsDir(name: string): string {
    return join(this.tlsRoot, contextDirName(name));
  }

  private metaFile(name: string): string {
    return join(this.metaDir(name), "meta.json");
  }

  exists(name: string): boolean {
    return existsSync(this.metaFile(name));
  }

  /** A stored context; a missing one fails with docker's "context not found" text. */
  get(name: string): ContextMeta {
    const file = this.metaFile(name);
    let raw: string;
    try {
      raw = readFileSync(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new ContextError(
          `context "${name}": context not found: open ${file}: no such file or directory`,
        );
      }
      throw err;
    }
    return parseMeta(file, raw);
  }

  /** Every stored context, in folder order (callers sort); unreadable ones fail as docker's ls does. */
  list(): ContextMeta[] {
    let dirs: string[];
    try {
      dirs = readdirSync(this.metaRoot);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const out: ContextMeta[] = [];
    for (const d of dirs) {
      const file = join(this.metaRoot, d, "meta.json");
      let raw: string;
      try {
        if (!statSync(join(this.metaRoot, d)).isDirectory()) continue;
        raw = readFileSync(file, "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw err;
      }
      out.push(parseMeta(file, raw));
    }
    return out;
  }

  /** Writes meta.json (compact, as docker writes it) through a temp file and a rename. */
  write(meta: ContextMeta): void {
    const dir = this.metaDir(meta.Name);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileAtomicSync(join(dir, "meta.json"), JSON.stringify(meta), 0o644);
  }

  /** Replaces the docker endpoint's TLS files (none given: the folder is removed). */
  writeTls(name: string, files: TlsFiles): void {
    const dir = join(this.tlsDir(name), "docker");
    rmSync(dir, { recursive: true, force: true });
    const entries = tlsFileNames.map((f) => [f, files[f.slice(0, -4) as keyof TlsFiles]] as const);
    if (entries.every(([, data]) => data === undefined)) return;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const [file, data] of entries) {
      if (data !== undefined) writeFileSync(join(dir, file), data, { mode: 0o600 });
    }
  }

  /** The docker endpoint's TLS files, as stored. */
  readTls(name: string): TlsFiles {
    const dir = join(this.tlsDir(name), "docker");
    const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f)) : undefined);
    return { ca: read("ca.pem"), cert: read("cert.pem"), key: read("key.pem") };
  }

  /** The TLS file names per endpoint, for inspect's "TLSMaterial". */
  tlsMaterial(name: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    let endpoints: string[];
    try {
      endpoints = readdirSync(this.tlsDir(name)).sort();
    } catch {
      return out;
    }
    for (const ep of endpoints) {
      try {
        const files = readdirSync(join(this.tlsDir(name), ep)).sort();
        if (files.length > 0) out[ep] = files;
      } catch {
        // not a folder: docker skips it too
      }
    }
    return out;
  }

  /** The `.dockercontext` archive of a context: meta.json plus its TLS files. */
  exportArchive(meta: ContextMeta): Buffer {
    const entries: ArchiveEntry[] = [
      { path: "meta.json", data: Buffer.from(JSON.stringify(meta)), mode: 0o644 },
    ];
    const material = meta.Name === defaultContextName ? {} : this.tlsMaterial(meta.Name);
    const endpoints = Object.keys(material);
    if (endpoints.length > 0) entries.push({ path: "tls", mode: 0o700 });
    for (const ep of endpoints) {
      entries.push({ path: `tls/${ep}`, mode: 0o700 });
      for (const f of material[ep] ?? []) {
        entries.push({
          path: `tls/${ep}/${f}`,
          data: readFileSync(join(this.tlsDir(meta.Name), ep, f)),
          mode: 0o600,
        });
      }
    }
    return packArchive(entries);
  }

  /** Stores an exported context under a new name (the caller checked the name is free). */
  importArchive(name: string, tar: Buffer): void {
    let files: Map<string, Buffer>;
    try {
      files = unpackArchive(tar);
    } catch (err) {
      throw new ContextError((err as Error).message);
    }
    const raw = files.get("meta.json");
    if (!raw) throw new ContextError("invalid context: no metadata found");
    const meta = parseMeta("meta.json", raw.toString("utf8"));
    meta.Name = name;
    const tls: Array<[string, Buffer]> = [];
    for (const [path, data] of files) {
      const m = /^tls\/([^/]+)\/([^/]+)$/.exec(path);
      if (m && m[1] !== ".." && m[2] !== "..") tls.push([join(m[1] as string, m[2] as string), data]);
    }
    this.write(meta);
    rmSync(this.tlsDir(name), { recursive: true, force: true });
    for (const [rel, data] of tls) {
      const file = join(this.tlsDir(name), rel);
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, data, { mode: 0o600 });
    }
  }

  remove(name: string): void {
    rmSync(this.metaDir(name), { recursive: true, force: true });
    rmSync(this.tlsDir(name), { recursive: true, force: true });
  }

  // ---- config.json's currentContext -----------------------------------------------------

  get configFile(): string {
    return join(this.configDir, "config.json");
  }

  private readConfig(): Record<string, unknown> {
    try {
      const data = JSON.parse(readFileSync(this.configFile, "utf8")) as unknown;
      return data && typeof data === "object" ? (data as Record<string, unknown>) : {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw new ContextError(`loading config file: ${this.configFile}: ${(err as Error).message}`);
    }
  }

  /** config.json's currentContext ("" when unset). */
  currentContext(): string {
    const v = this.readConfig().currentContext;
    return typeof v === "string" ? v : "";
  }

  /** Sets currentContext ("default" clears it, as docker does), keeping every other key. */
  setCurrentContext(name: string): void {
    const data = this.readConfig();
    if (name === defaultContextName || name === "") delete data.currentContext;
    else data.currentContext = name;
    mkdirSync(this.configDir, { recursive: true, mode: 0o700 });
    // A symlinked config.json (dotfiles repos) stays a symlink: the file it points to is replaced.
    let target = this.configFile;
    try {
      target = realpathSync(target);
    } catch {
      // not there yet
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileAtomicSync(target, JSON.stringify(data, null, "\t"), 0o600);
  }
}

/** What docker checks of an endpoint's TLS files before it stores them (ClientOpts' tlsConfig). */
export function validateTlsFiles(files: TlsFiles): void {
  const fail = (why: string): never => {
    throw new ContextError(`failed to retrieve context tls info: ${why}`);
  };
  if (files.ca !== undefined) {
    try {
      new X509Certificate(files.ca);
    } catch {
      fail("ca.pem seems invalid");
    }
  }
  if (files.cert !== undefined && files.key !== undefined) {
    let cert: X509Certificate | undefined;
    try {
      cert = new X509Certificate(files.cert);
    } catch {
      fail("tls: failed to find any PEM data in certificate input");
    }
    let key: ReturnType<typeof createPrivateKey> | undefined;
    try {
      key = createPrivateKey(files.key);
    } catch {
      fail("tls: failed to find any PEM data in key input");
    }
    if (cert && key && !cert.checkPrivateKey(key)) fail("tls: private key does not match public key");
  }
}

function parseMeta(file: string, raw: string): ContextMeta {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    throw new ContextError(`failed to read metadata: parsing ${file}: ${(err as Error).message}`);
  }
  const meta = (data && typeof data === "object" ? data : {}) as Partial<ContextMeta>;
  return {
    Name: typeof meta.Name === "string" ? meta.Name : "",
    Metadata: meta.Metadata && typeof meta.Metadata === "object" ? meta.Metadata : {},
    Endpoints: meta.Endpoints && typeof meta.Endpoints === "object" ? meta.Endpoints : {},
  };
}

// ---- which context ---------------------------------------------------------------------

export interface ContextChoice {
  /** --context */
  contextFlag?: string;
  /** -H values */
  hosts: readonly string[];
}

/**
 * docker/cli's resolveContextName: --context, then "default" when -H or WHARF_HOST/DOCKER_HOST
 * is set, then DOCKER_CONTEXT, then config.json's currentContext, then "default".
 */
export function currentContextName(
  choice: ContextChoice,
  env: NodeJS.ProcessEnv,
  store: ContextStore,
): string {
  if (choice.contextFlag && choice.hosts.length > 0) {
    throw new ContextError("conflicting options: cannot specify both --host and --context");
  }
  if (choice.contextFlag) return choice.contextFlag;
  if (choice.hosts.length > 0 || hostFromEnv(env)) return defaultContextName;
  if (env.DOCKER_CONTEXT) return env.DOCKER_CONTEXT;
  try {
    return store.currentContext() || defaultContextName;
  } catch (err) {
    // docker only warns about an unparsable config.json and goes on without it.
    if (err instanceof ContextError) return defaultContextName;
    throw err;
  }
}

/** The current context's name for display (version, info); "default" when it cannot be read. */
export function currentContextLabel(choice: ContextChoice | undefined, env: NodeJS.ProcessEnv): string {
  try {
    return currentContextName(choice ?? { hosts: [] }, env, ContextStore.fromEnv(env));
  } catch {
    return defaultContextName;
  }
}

export interface ResolvedEndpoint {
  contextName: string;
  /** The daemon address; undefined leaves it to resolveHost (the default context without -H). */
  host: string | undefined;
  /** A stored context's TLS settings; undefined for the default context (the flags decide). */
  tls: TlsOptions | undefined;
}

/** The daemon a command line talks to, with docker's "unable to resolve docker endpoint" errors. */
export function resolveEndpoint(choice: ContextChoice, env: NodeJS.ProcessEnv): ResolvedEndpoint {
  const store = ContextStore.fromEnv(env);
  const name = currentContextName(choice, env, store);
  if (name === defaultContextName) return { contextName: name, host: choice.hosts[0], tls: undefined };
  let meta: ContextMeta;
  try {
    meta = store.get(name);
  } catch (err) {
    if (err instanceof ContextError) {
      throw new ContextError(`Failed to initialize: unable to resolve docker endpoint: ${err.message}`);
    }
    throw err;
  }
  const ep = meta.Endpoints.docker;
  if (!ep?.Host) {
    throw new ContextError(
      `Failed to initialize: unable to resolve docker endpoint: context "${name}" has no docker endpoint`,
    );
  }
  const files = store.readTls(name);
  const hasTls = files.ca !== undefined || files.cert !== undefined || files.key !== undefined;
  const tls = hasTls || ep.SkipTLSVerify ? { ...files, verify: !ep.SkipTLSVerify } : undefined;
  return { contextName: name, host: ep.Host, tls };
}
