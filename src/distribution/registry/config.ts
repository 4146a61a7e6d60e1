// Registry configuration: defaults, an optional JSON config file, and command-line flags on
// top (flags win). Relative paths in a config file are relative to the file.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { AccessRule } from "./auth/access-policy.ts";
import { parseDuration } from "./duration.ts";

export interface TokenAuthConfig {
  /** URL clients fetch tokens from; the registry serves that path itself. */
  realm: string;
  service: string;
  issuer: string;
  expiresInSeconds: number;
}

export interface RegistryConfig {
  addr: string;
  root: string;
  readOnly: boolean;
  tls?: { cert: string; key: string };
  htpasswd?: string;
  token?: TokenAuthConfig;
  access?: AccessRule[];
  manifestMaxBytes: number;
  uploadExpiryMs: number;
  gcGraceMs: number;
  catalogPageSize: number;
  requestLog: boolean;
  shutdownTimeoutMs: number;
}

/** The config file's shape: like RegistryConfig, nested, with durations as strings. */
export interface RegistryConfigFile {
  addr?: string;
  root?: string;
  readOnly?: boolean;
  tls?: { cert?: string; key?: string };
  auth?: {
    htpasswd?: string;
    token?: { realm?: string; service?: string; issuer?: string; expiresIn?: string | number };
    access?: AccessRule[];
  };
  limits?: { manifestMaxBytes?: number };
  uploads?: { expiry?: string | number };
  gc?: { grace?: string | number };
  catalog?: { pageSize?: number };
  log?: { requests?: boolean };
  shutdownTimeout?: string | number;
}

/** Overrides from flags; undefined means "not given". */
export interface RegistryFlags {
  addr?: string;
  root?: string;
  readOnly?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  htpasswd?: string;
  tokenRealm?: string;
  tokenService?: string;
  uploadExpiry?: string;
  gcGrace?: string;
  manifestMaxBytes?: string;
  quiet?: boolean;
}

export const DEFAULT_ROOT = "/var/lib/wharf/registry";
const DEFAULT_SERVICE = "wharf-registry";

export function defaultConfig(): RegistryConfig {
  return {
    addr: "127.0.0.1:5000",
    root: DEFAULT_ROOT,
    readOnly: false,
    manifestMaxBytes: 4 * 1024 * 1024,
    uploadExpiryMs: 60 * 60 * 1000,
    gcGraceMs: 15 * 60 * 1000,
    catalogPageSize: 1000,
    requestLog: true,
    shutdownTimeoutMs: 30_000,
  };
}

export async function loadConfigFile(path: string): Promise<RegistryConfigFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`config file ${path} must hold a JSON object`);
  }
  return parsed as RegistryConfigFile;
}

export function applyConfigFile(
  base: RegistryConfig,
  file: RegistryConfigFile,
  fileDir: string,
): RegistryConfig {
  const at = (p: string | undefined) => (p === undefined ? undefined : resolve(fileDir, p));
  const config: RegistryConfig = { ...base };
  if (file.addr !== undefined) config.addr = file.addr;
  if (file.root !== undefined) config.root = at(file.root)!;
  if (file.readOnly !== undefined) config.readOnly = file.readOnly;
  if (file.tls?.cert !== undefined || file.tls?.key !== undefined) {
    config.tls = { cert: at(file.tls.cert) ?? "", key: at(file.tls.key) ?? "" };
  }
  if (file.auth?.htpasswd !== undefined) config.htpasswd = at(file.auth.htpasswd);
  if (file.auth?.token?.realm !== undefined) {
    const token = file.auth.token;
    config.token = {
      realm: token.realm!,
      service: token.service ?? DEFAULT_SERVICE,
      issuer: token.issuer ?? DEFAULT_SERVICE,
      expiresInSeconds: token.expiresIn === undefined ? 300 : parseDuration(token.expiresIn) / 1000,
    };
  }
  if (file.auth?.access !== undefined) config.access = file.auth.access;
  if (file.limits?.manifestMaxBytes !== undefined) config.manifestMaxBytes = file.limits.manifestMaxBytes;
  if (file.uploads?.expiry !== undefined) config.uploadExpiryMs = parseDuration(file.uploads.expiry);
  if (file.gc?.grace !== undefined) config.gcGraceMs = parseDuration(file.gc.grace);
  if (file.catalog?.pageSize !== undefined) config.catalogPageSize = file.catalog.pageSize;
  if (file.log?.requests !== undefined) config.requestLog = file.log.requests;
  if (file.shutdownTimeout !== undefined) config.shutdownTimeoutMs = parseDuration(file.shutdownTimeout);
  return config;
}

export function applyFlags(base: RegistryConfig, flags: RegistryFlags): RegistryConfig {
  const config: RegistryConfig = { ...base };
  if (flags.addr !== undefined) config.addr = flags.addr;
  if (flags.root !== undefined) config.root = resolve(flags.root);
  if (flags.readOnly) config.readOnly = true;
  if (flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
    config.tls = {
      cert: flags.tlsCert ? resolve(flags.tlsCert) : (config.tls?.cert ?? ""),
      key: flags.tlsKey ? resolve(flags.tlsKey) : (config.tls?.key ?? ""),
    };
  }
  if (flags.htpasswd !== undefined) config.htpasswd = resolve(flags.htpasswd);
  if (flags.tokenRealm !== undefined) {
    config.token = {
      realm: flags.tokenRealm,
      service: config.token?.service ?? DEFAULT_SERVICE,
      issuer: config.token?.issuer ?? DEFAULT_SERVICE,
      expiresInSeconds: config.token?.expiresInSeconds ?? 300,
    };
  }
  if (flags.tokenService !== undefined && config.token) config.token.service = flags.tokenService;
  if (flags.uploadExpiry !== undefined) config.uploadExpiryMs = parseDuration(flags.uploadExpiry);
  if (flags.gcGrace !== undefined) config.gcGraceMs = parseDuration(flags.gcGrace);
  if (flags.manifestMaxBytes !== undefined) config.manifestMaxBytes = Number(flags.manifestMaxBytes);
  if (flags.quiet) config.requestLog = false;
  return config;
}

/** Builds the effective configuration: defaults, then the config file, then flags. */
export async function resolveConfig(
  configPath: string | undefined,
  flags: RegistryFlags,
): Promise<RegistryConfig> {
  let config = defaultConfig();
  if (configPath !== undefined) {
    const file = await loadConfigFile(configPath);
    config = applyConfigFile(config, file, dirname(resolve(configPath)));
  }
  config = applyFlags(config, flags);
  validateConfig(config);
  return config;
}

export function validateConfig(config: RegistryConfig): void {
  parseListenAddress(config.addr);
  if (config.tls && (!config.tls.cert || !config.tls.key)) {
    throw new Error("TLS needs both a certificate and a key (--tls-cert and --tls-key)");
  }
  if (!Number.isSafeInteger(config.manifestMaxBytes) || config.manifestMaxBytes <= 0) {
    throw new Error("the manifest size limit must be a positive number of bytes");
  }
  if (config.token) {
    let url: URL;
    try {
      url = new URL(config.token.realm);
    } catch {
      throw new Error(`the token realm must be an absolute URL, got ${JSON.stringify(config.token.realm)}`);
    }
    if (url.pathname === "/" || url.pathname.startsWith("/v2")) {
      throw new Error("the token realm needs its own path, outside /v2/ (e.g. https://host:5000/auth/token)");
    }
    if (!config.htpasswd && !(config.access ?? []).length) {
      throw new Error(
        "token auth needs --htpasswd for user accounts (or access rules for anonymous clients)",
      );
    }
  }
}

export function parseListenAddress(addr: string): { host: string; port: number } {
  const match = addr.match(/^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/);
  if (!match) throw new Error(`invalid listen address ${JSON.stringify(addr)} (expected host:port)`);
  const host = match[1] ?? match[2] ?? "";
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`invalid port in ${addr}`);
  return { host: host === "" ? "0.0.0.0" : host, port };
}
