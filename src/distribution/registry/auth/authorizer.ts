// Decides whether a request may perform the accesses its route needs. Three modes: open (no
// auth), htpasswd Basic auth, and Bearer tokens from the registry's own token endpoint.
import type { IncomingMessage } from "node:http";
import { RegistryError } from "../errors.ts";
import type { AccessPolicy } from "./access-policy.ts";
import { type Htpasswd, parseBasicAuth } from "./htpasswd.ts";
import { verifyToken } from "./jwt.ts";
import { covers, formatScope, type ResourceAccess } from "./scope.ts";

export interface Identity {
  /** The authenticated user; undefined for anonymous or open access. */
  account?: string;
}

export interface Authorizer {
  /** Resolves to the caller's identity, or throws 401/403 errors carrying their challenge. */
  authorize(req: IncomingMessage, needed: ResourceAccess[]): Promise<AuthorizedRequest>;
}

export interface AuthorizedRequest {
  identity: Identity;
  /** Whether the caller also holds an access it did not have to have (e.g. a mount source). */
  allows(access: ResourceAccess): boolean;
}

export class OpenAuthorizer implements Authorizer {
  async authorize(): Promise<AuthorizedRequest> {
    return { identity: {}, allows: () => true };
  }
}

export class BasicAuthorizer implements Authorizer {
  private readonly htpasswd: Htpasswd;
  private readonly policy: AccessPolicy;
  private readonly realm: string;

  constructor(htpasswd: Htpasswd, policy: AccessPolicy, realm: string) {
    this.htpasswd = htpasswd;
    this.policy = policy;
    this.realm = realm;
  }

  async authorize(req: IncomingMessage, needed: ResourceAccess[]): Promise<AuthorizedRequest> {
    const challenge = { "WWW-Authenticate": `Basic realm="${this.realm}",charset="UTF-8"` };
    const credentials = parseBasicAuth(req.headers.authorization);
    let account: string | undefined;
    if (credentials) {
      if (!(await this.htpasswd.verify(credentials.user, credentials.password))) {
        throw new RegistryError("UNAUTHORIZED", "invalid username or password", { headers: challenge });
      }
      account = credentials.user;
    }
    const allows = (access: ResourceAccess) => covers([this.policy.grant(account, access)], access);
    // The version check needs authentication; anonymous access is only ever per resource.
    if (account === undefined && (needed.length === 0 || !needed.every(allows))) {
      throw new RegistryError("UNAUTHORIZED", undefined, { headers: challenge, detail: needed });
    }
    const denied = needed.filter((access) => !allows(access));
    if (denied.length > 0) throw new RegistryError("DENIED", undefined, { detail: denied });
    return { identity: account === undefined ? {} : { account }, allows };
  }
}

export interface TokenAuthorizerOptions {
  secret: Uint8Array;
  realm: string;
  service: string;
  issuer: string;
}

export class TokenAuthorizer implements Authorizer {
  private readonly options: TokenAuthorizerOptions;

  constructor(options: TokenAuthorizerOptions) {
    this.options = options;
  }

  async authorize(req: IncomingMessage, needed: ResourceAccess[]): Promise<AuthorizedRequest> {
    const match = req.headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i);
    const claims = match?.[1]
      ? verifyToken(match[1], this.options.secret, {
          issuer: this.options.issuer,
          audience: this.options.service,
        })
      : undefined;
    if (!claims) {
      throw new RegistryError("UNAUTHORIZED", undefined, {
        headers: { "WWW-Authenticate": this.challenge(needed) },
        detail: needed,
      });
    }
    const missing = needed.filter((access) => !covers(claims.access, access));
    if (missing.length > 0) {
      throw new RegistryError("UNAUTHORIZED", "insufficient scope", {
        headers: { "WWW-Authenticate": this.challenge(needed, "insufficient_scope") },
        detail: missing,
      });
    }
    return {
      identity: claims.sub === "" ? {} : { account: claims.sub },
      allows: (access) => covers(claims.access, access),
    };
  }

  private challenge(needed: ResourceAccess[], error?: string): string {
    const parts = [`realm="${this.options.realm}"`, `service="${this.options.service}"`];
    if (needed.length > 0) parts.push(`scope="${needed.map(formatScope).join(" ")}"`);
    if (error) parts.push(`error="${error}"`);
    return `Bearer ${parts.join(",")}`;
  }
}
