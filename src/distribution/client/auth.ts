// Registry authentication: X-Registry-Auth decoding, WWW-Authenticate challenges, Basic auth
// and the Bearer token flow (realm, service, scope), tokens cached per scope until they expire,
// refresh tokens (identity tokens) used with the OAuth2 form.
import { DistributionError, errcodeText, parseErrorBody, type RegistryErrorEntry } from "./errors.ts";
import type { TlsMaterial } from "./hosts.ts";
import { readBody, requestErrorText, send } from "./http.ts";

export interface Credentials {
  username?: string;
  password?: string;
  /** A refresh token from an earlier login (config.json "identitytoken"). */
  identityToken?: string;
  /** A bearer token given directly. */
  registryToken?: string;
}

export interface AuthConfig extends Credentials {
  serverAddress?: string;
  email?: string;
}

/** Decodes X-Registry-Auth (base64 or base64url JSON; "e30=" = {}). Bad input = no credentials. */
export function decodeRegistryAuth(header: string | undefined): AuthConfig {
  if (!header) return {};
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(header.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8"));
  } catch {
    return {};
  }
  return authConfigFromJson(json);
}

/** The API's AuthConfig JSON (POST /auth body, X-Registry-Auth) to our shape. */
export function authConfigFromJson(json: Record<string, unknown>): AuthConfig {
  const str = (k: string) =>
    typeof json[k] === "string" && json[k] !== "" ? (json[k] as string) : undefined;
  const out: AuthConfig = {};
  let username = str("username");
  let password = str("password");
  const auth = str("auth");
  if (!username && auth) {
    const decoded = Buffer.from(auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  if (username) out.username = username;
  if (password) out.password = password;
  const identity = str("identitytoken");
  if (identity) out.identityToken = identity;
  const registry = str("registrytoken");
  if (registry) out.registryToken = registry;
  const server = str("serveraddress");
  if (server) out.serverAddress = server;
  const email = str("email");
  if (email) out.email = email;
  return out;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * distribution's HandleErrorResponse: the `error` of a Bearer challenge (RFC 6750 3.1) comes
 * before the body's errors — insufficient_scope reads as DENIED, invalid_token as UNAUTHORIZED —
 * so Docker reports a token without the scope as "denied: requested access to the resource is
 * denied".
 */
export function challengeErrors(header: string | string[] | undefined): RegistryErrorEntry[] {
  for (const c of parseChallenges(header)) {
    if (c.scheme !== "bearer") continue;
    const error = c.params.error;
    const entry: RegistryErrorEntry | undefined =
      error === "insufficient_scope"
        ? { code: "DENIED", message: "requested access to the resource is denied" }
        : error === "invalid_token"
          ? { code: "UNAUTHORIZED", message: "authentication required" }
          : undefined;
    if (!entry) continue;
    if (c.params.error_description) entry.message = c.params.error_description;
    return [entry];
  }
  return [];
}

/** Parses `Bearer realm="…",service="…",scope="…"` (several challenges may be comma-joined). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const line of Array.isArray(header) ? header : header ? [header] : []) {
    let i = 0;
    let current: Challenge | undefined;
    const skip = (chars: string) => {
      while (i < line.length && chars.includes(line[i] as string)) i++;
    };
    const token = () => {
      const start = i;
      while (i < line.length && /[!#$%&'*+\-.^_`|~\w]/.test(line[i] as string)) i++;
      return line.slice(start, i);
    };
    while (i < line.length) {
      skip(" \t,");
      const name = token();
      if (!name) break;
      skip(" \t");
      if (line[i] !== "=") {
        current = { scheme: name.toLowerCase(), params: {} };
        out.push(current);
        continue;
      }
      i++;
      skip(" \t");
      let value = "";
      if (line[i] === '"') {
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === "\\") i++;
          value += line[i] ?? "";
          i++;
        }
        i++;
      } else {
        while (i < line.length && !" \t,".includes(line[i] as string)) value += line[i++];
      }
      if (current) current.params[name.toLowerCase()] = value;
    }
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface TokenResponse {
  token?: string;
  access_token?: string;
  expires_in?: number;
  refresh_token?: string;
}

/**
 * The credentials and token state for one registry host. Asks for tokens only when the
 * registry has challenged; scopes are cached independently.
 */
export class Authorizer {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly creds: Credentials;
  private readonly tls: () => { tls: TlsMaterial; insecureTls: boolean };
  /** A refresh token the token server returned (offline_token) for later requests. */
  refreshToken: string | undefined;

  constructor(creds: Credentials, tls: () => { tls: TlsMaterial; insecureTls: boolean }) {
    this.creds = creds;
    this.tls = tls;
    this.refreshToken = creds.identityToken;
  }

  get hasCredentials(): boolean {
    return !!(this.creds.username || this.creds.identityToken || this.creds.registryToken);
  }

  /** Records the challenge of a 401 answer; true when a retry with (new) credentials may help. */
  learn(header: string | string[] | undefined, scopes: readonly string[]): boolean {
    const challenges = parseChallenges(header);
    const chosen =
      challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic");
    if (!chosen) return false;
    const known = this.challenge;
    this.challenge = chosen;
    this.tokens.delete(scopeKey(scopes));
    if (chosen.scheme === "basic") return !!this.creds.username && known?.scheme !== "basic";
    return true;
  }

  /** The Authorization header value for these scopes, fetching a token when needed. */
  async header(scopes: readonly string[]): Promise<string | undefined> {
    if (this.creds.registryToken) return `Bearer ${this.creds.registryToken}`;
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === "basic") return this.basic();
    if (c.scheme !== "bearer") return undefined;
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    const token = await this.fetchToken(c.params, scopes);
    this.tokens.set(key, token);
    return `Bearer ${token.token}`;
  }

  private basic(): string | undefined {
    if (!this.creds.username) return undefined;
    return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ""}`).toString("base64")}`;
  }

  /** GET realm?service&scope with Basic credentials, or POST the OAuth2 refresh form. */
  async fetchToken(
    params: Record<string, string>,
    scopes: readonly string[],
    offline = false,
  ): Promise<CachedToken> {
    const realm = params.realm;
    if (!realm) throw new DistributionError("bearer challenge without a realm", 500);
    const url = new URL(realm);
    const { tls, insecureTls } = this.tls();
    let res: Awaited<ReturnType<typeof send>>;
    const method = this.refreshToken ? "POST" : "GET";
    try {
      if (this.refreshToken) {
        const form = new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: this.refreshToken,
          client_id: "wharf",
          ...(params.service ? { service: params.service } : {}),
        });
        if (scopes.length > 0) form.set("scope", scopes.join(" "));
        res = await send({
          method,
          url: url.toString(),
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: Buffer.from(form.toString()),
          tls,
          insecureTls,
        });
      } else {
        if (params.service) url.searchParams.set("service", params.service);
        for (const s of scopes) url.searchParams.append("scope", s);
        if (offline) {
          url.searchParams.set("offline_token", "true");
          url.searchParams.set("client_id", "wharf");
        }
        const basic = this.basic();
        res = await send({
          method,
          url: url.toString(),
          headers: basic ? { Authorization: basic } : {},
          tls,
          insecureTls,
        });
      }
    } catch (err) {
      throw new DistributionError(requestErrorText(method, url.toString(), err), 500);
    }
    const body = await readBody(res, 1024 * 1024);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const errors = parseErrorBody(body.toString("utf8"));
      const text =
        errors.length > 0
          ? errcodeText(errors)
          : `token request failed with status: ${status} ${res.statusMessage ?? ""}`.trim();
      throw new DistributionError(text, status === 401 || status === 403 ? 401 : 500);
    }
    let json: TokenResponse;
    try {
      json = JSON.parse(body.toString("utf8")) as TokenResponse;
    } catch {
      throw new DistributionError("token server answered with invalid JSON", 500);
    }
    const token = json.token || json.access_token;
    if (!token)
      throw new DistributionError("authorization server did not include a token in the response", 500);
    if (json.refresh_token) this.refreshToken = json.refresh_token;
    // Docker's minimum lifetime is 60 s; renew a little early.
    const lifetime = Math.max(json.expires_in ?? 60, 60);
    return { token, expiresAt: Date.now() + (lifetime - 5) * 1000 };
  }

  /** For login: fetch a token with no scope (offline), proving the credentials work. */
  async verifyLogin(): Promise<string | undefined> {
    const c = this.challenge;
    if (c?.scheme !== "bearer") return undefined;
    await this.fetchToken(c.params, [], true);
    return this.refreshToken !== this.creds.identityToken ? this.refreshToken : undefined;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(" ");
}

export function repositoryScope(path: string, actions: readonly string[]): string {
  return `repository:${path}:${actions.join(",")}`;
}
