// Chooses the auth mode from the configuration: Bearer tokens (--token-realm), htpasswd Basic
// auth (--htpasswd), or none.
import type { RegistryConfig } from "../config.ts";
import type { TokenEndpoint } from "../http/request-handler.ts";
import { AccessPolicy } from "./access-policy.ts";
import { type Authorizer, BasicAuthorizer, OpenAuthorizer, TokenAuthorizer } from "./authorizer.ts";
import { Htpasswd } from "./htpasswd.ts";
import { newSecret } from "./jwt.ts";
import { TokenService } from "./token-service.ts";

export interface AuthSetup {
  mode: "none" | "htpasswd" | "token";
  authorizer: Authorizer;
  token?: TokenEndpoint;
}

const BASIC_REALM = "wharf-registry";

export async function setupAuth(config: RegistryConfig): Promise<AuthSetup> {
  const htpasswd = config.htpasswd ? await Htpasswd.load(config.htpasswd) : undefined;
  const policy = new AccessPolicy(config.access);
  if (config.token) {
    // Tokens are signed with a per-process secret: a restart only makes clients log in again.
    const secret = newSecret();
    const { realm, service, issuer, expiresInSeconds } = config.token;
    const tokenService = new TokenService({
      secret,
      issuer,
      service,
      expiresIn: expiresInSeconds,
      policy,
      ...(htpasswd ? { htpasswd } : {}),
    });
    return {
      mode: "token",
      authorizer: new TokenAuthorizer({ secret, realm, service, issuer }),
      token: { service: tokenService, path: new URL(realm).pathname, realm },
    };
  }
  if (htpasswd) return { mode: "htpasswd", authorizer: new BasicAuthorizer(htpasswd, policy, BASIC_REALM) };
  return { mode: "none", authorizer: new OpenAuthorizer() };
}
