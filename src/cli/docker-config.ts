// ~/.docker/config.json the way the docker CLI reads and writes it ($DOCKER_CONFIG overrides the
// folder): "auths" entries keyed by registry host ("https://index.docker.io/v1/" for Docker
// Hub), each {"auth": base64("user:password")} or with an "identitytoken". Other keys are kept.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { helperGet } from "./credential-helper.ts";

export const hubServer = "https://index.docker.io/v1/";

export interface AuthEntry {
  auth?: string;
  identitytoken?: string;
  username?: string;
  password?: string;
}

export interface StoredAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), ".docker"), "config.json");
}

/** credentials.ConvertToHostname: drop the scheme and any path. */
export function convertToHostname(server: string): string {
  return server.replace(/^https?:\/\//, "").split("/")[0] ?? server;
}

/** Where a registry's credentials live: the Hub key for docker.io, else the host. */
export function authKey(domain: string): string {
  return domain === "docker.io" || domain === "index.docker.io" ? hubServer : domain;
}

export class DockerConfig {
  readonly path: string;
  private data: Record<string, unknown>;

  private constructor(path: string, data: Record<string, unknown>) {
    this.path = path;
    this.data = data;
  }

  static load(env: NodeJS.ProcessEnv): DockerConfig {
    const path = configPath(env);
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new Error(`loading config file: ${path}: ${(err as Error).message}`);
      }
    }
    return new DockerConfig(path, data);
  }

  private get auths(): Record<string, AuthEntry> {
    const auths = this.data.auths;
    if (auths && typeof auths === "object") return auths as Record<string, AuthEntry>;
    const fresh: Record<string, AuthEntry> = {};
    this.data.auths = fresh;
    return fresh;
  }

  /** The key holding a server's entry: exact, else any key with the same hostname. */
  private findKey(server: string): string | undefined {
    if (server in this.auths) return server;
    const host = convertToHostname(server);
    return Object.keys(this.auths).find((k) => convertToHostname(k) === host);
  }

  get(server: string): StoredAuth | undefined {
    const key = this.findKey(server);
    if (key === undefined) return undefined;
    const e = this.auths[key] as AuthEntry;
    const out: StoredAuth = { serveraddress: server };
    if (e.auth) {
      const decoded = Buffer.from(e.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon >= 0) {
        out.username = decoded.slice(0, colon);
        out.password = decoded.slice(colon + 1);
      }
    }
    if (e.username) out.username = e.username;
    if (e.password) out.password = e.password;
    if (e.identitytoken) {
      out.identitytoken = e.identitytoken;
      delete out.password;
    }
    return out;
  }

  set(server: string, username: string, password: string, identityToken?: string): void {
    const existing = this.findKey(server);
    if (existing !== undefined && existing !== server) delete this.auths[existing];
    this.auths[server] = identityToken
      ? { auth: Buffer.from(`${username}:`).toString("base64"), identitytoken: identityToken }
      : { auth: Buffer.from(`${username}:${password}`).toString("base64") };
  }

  /** Removes every key naming the server; false when there was none. */
  erase(server: string): boolean {
    const host = convertToHostname(server);
    const keys = Object.keys(this.auths).filter((k) => k === server || convertToHostname(k) === host);
    for (const k of keys) delete this.auths[k];
    return keys.length > 0;
  }

  /** The credential helper for a server: credHelpers[host], else credsStore. */
  helperFor(server: string): string | undefined {
    const helpers = this.data.credHelpers as Record<string, string> | undefined;
    const byHost = helpers?.[convertToHostname(server)] ?? helpers?.[server];
    const store = this.data.credsStore;
    return byHost || (typeof store === "string" && store ? store : undefined);
  }

  /** Marks the server as logged in without secrets (the helper keeps them), as docker does. */
  setHelperEntry(server: string): void {
    this.auths[server] = {};
  }

  /** Written to a temp file and renamed, mode 0600, as docker does. */
  save(): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, "\t")}`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

/** A server's credentials: from its credential helper when one is configured, else "auths". */
export async function storedAuth(config: DockerConfig, server: string): Promise<StoredAuth | undefined> {
  const helper = config.helperFor(server);
  if (!helper) return config.get(server);
  const creds = await helperGet(helper, server);
  if (!creds) return undefined;
  // Helpers hold identity tokens under the user name "<token>".
  return creds.Username === "<token>"
    ? { identitytoken: creds.Secret, serveraddress: server }
    : { username: creds.Username, password: creds.Secret, serveraddress: server };
}

/** X-Registry-Auth for a registry domain: base64url JSON, "e30=" ({}) when not logged in. */
export async function registryAuthHeader(env: NodeJS.ProcessEnv, domain: string): Promise<string> {
  let stored: StoredAuth | undefined;
  try {
    stored = await storedAuth(DockerConfig.load(env), authKey(domain));
  } catch {
    stored = undefined;
  }
  if (!stored) return "e30=";
  return Buffer.from(JSON.stringify(stored)).toString("base64url");
}
