// The token endpoint of the Docker token auth protocol, served by the registry itself at the
// path of its realm URL. GET with Basic credentials (or none) and ?service=&scope=..., or the
// OAuth2 form POST (grant_type=password) that some clients use.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseBasicAuth } from "../auth/htpasswd.ts";
import { parseScopes } from "../auth/scope.ts";
import type { TokenService } from "../auth/token-service.ts";
import { RegistryError } from "../errors.ts";
import { readBodyLimited, sendJson } from "./respond.ts";

const FORM_LIMIT = 64 * 1024;

export async function serveToken(
  service: TokenService,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  realm: string,
): Promise<{ account?: string }> {
  const challenge = { "WWW-Authenticate": `Basic realm="${realm}",charset="UTF-8"` };
  if (req.method === "GET") {
    checkService(service, query.get("service"));
    const credentials = parseBasicAuth(req.headers.authorization);
    const issued = await issueOrChallenge(
      service,
      credentials,
      parseScopes(query.getAll("scope")),
      challenge,
    );
    sendJson(res, 200, {
      token: issued.token,
      access_token: issued.token,
      expires_in: issued.expiresIn,
      issued_at: issued.issuedAt,
    });
    return credentials ? { account: credentials.user } : {};
  }
  if (req.method === "POST") {
    const form = new URLSearchParams((await readBodyLimited(req, FORM_LIMIT)).toString("utf8"));
    checkService(service, form.get("service"));
    if (form.get("grant_type") !== "password") {
      throw new RegistryError("UNSUPPORTED", "only grant_type=password is supported", { status: 400 });
    }
    const user = form.get("username") ?? "";
    const credentials = user === "" ? undefined : { user, password: form.get("password") ?? "" };
    const scopes = parseScopes(form.getAll("scope"));
    const issued = await issueOrChallenge(service, credentials, scopes, challenge);
    sendJson(res, 200, {
      access_token: issued.token,
      expires_in: issued.expiresIn,
      issued_at: issued.issuedAt,
      scope: issued.granted.map((g) => `${g.type}:${g.name}:${g.actions.join(",")}`).join(" "),
    });
    return credentials ? { account: credentials.user } : {};
  }
  throw new RegistryError("UNSUPPORTED", undefined, { headers: { Allow: "GET, POST" } });
}

function checkService(service: TokenService, requested: string | null): void {
  if (requested !== null && requested !== "" && requested !== service.service) {
    throw new RegistryError("DENIED", `unknown service ${requested.slice(0, 100)}`);
  }
}

async function issueOrChallenge(
  service: TokenService,
  credentials: { user: string; password: string } | undefined,
  scopes: ReturnType<typeof parseScopes>,
  challenge: Record<string, string>,
) {
  try {
    return await service.issue(credentials, scopes);
  } catch (err) {
    if (err instanceof RegistryError && err.code === "UNAUTHORIZED") {
      throw new RegistryError("UNAUTHORIZED", err.message, { headers: challenge });
    }
    throw err;
  }
}
