// Issues Bearer tokens for the registry's own token endpoint (Docker token auth protocol):
// the caller authenticates with htpasswd credentials (or none, for anonymous access) and
// receives a token granting the subset of the requested scopes the access policy allows.
import { randomUUID } from "node:crypto";
import { RegistryError } from "../errors.ts";
import type { AccessPolicy } from "./access-policy.ts";
import type { Htpasswd } from "./htpasswd.ts";
import { signToken } from "./jwt.ts";
import type { ResourceAccess } from "./scope.ts";

export interface TokenServiceOptions {
  secret: Uint8Array;
  issuer: string;
  service: string;
  /** Token lifetime in seconds. */
  expiresIn: number;
  htpasswd?: Htpasswd;
  policy: AccessPolicy;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
  granted: ResourceAccess[];
}

export class TokenService {
  private readonly options: TokenServiceOptions;

  constructor(options: TokenServiceOptions) {
    this.options = options;
  }

  get service(): string {
    return this.options.service;
  }

  async issue(
    credentials: { user: string; password: string } | undefined,
    requested: ResourceAccess[],
    now: number = Date.now(),
  ): Promise<IssuedToken> {
    let account: string | undefined;
    if (credentials) {
      const ok = (await this.options.htpasswd?.verify(credentials.user, credentials.password)) ?? false;
      if (!ok) throw new RegistryError("UNAUTHORIZED", "invalid username or password");
      account = credentials.user;
    }
    const granted = requested
      .map((access) => this.options.policy.grant(account, access))
      .filter((access) => access.actions.length > 0);
    const iat = Math.floor(now / 1000);
    const token = signToken(
      {
        iss: this.options.issuer,
        sub: account ?? "",
        aud: this.options.service,
        exp: iat + this.options.expiresIn,
        nbf: iat - 1,
        iat,
        jti: randomUUID(),
        access: granted,
      },
      this.options.secret,
    );
    return { token, expiresIn: this.options.expiresIn, issuedAt: new Date(now).toISOString(), granted };
  }
}
