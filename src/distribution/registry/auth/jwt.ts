// Compact JWTs signed with HMAC-SHA256. The registry both issues and verifies its tokens, so
// a shared secret is enough; clients treat tokens as opaque strings.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { ResourceAccess } from "./scope.ts";

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: ResourceAccess[];
}

export interface VerifyOptions {
  issuer: string;
  audience: string;
  /** Seconds since the epoch; defaults to now. */
  now?: number;
  /** Tolerated clock skew, in seconds. */
  leeway?: number;
}

const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

export function signToken(claims: TokenClaims, secret: Uint8Array): string {
  const payload = base64url(JSON.stringify(claims));
  const signature = createHmac("sha256", secret).update(`${HEADER}.${payload}`).digest();
  return `${HEADER}.${payload}.${base64url(signature)}`;
}

/** The claims of a valid token, or undefined when it is malformed, forged, expired or not ours. */
export function verifyToken(
  token: string,
  secret: Uint8Array,
  options: VerifyOptions,
): TokenClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let headerJson: unknown;
  let claims: unknown;
  try {
    headerJson = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if ((headerJson as { alg?: unknown } | null)?.alg !== "HS256") return undefined;
  if (!isClaims(claims)) return undefined;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const leeway = options.leeway ?? 30;
  if (claims.iss !== options.issuer || claims.aud !== options.audience) return undefined;
  if (now > claims.exp + leeway || now + leeway < claims.nbf) return undefined;
  return claims;
}

export function newSecret(): Buffer {
  return randomBytes(32);
}

function isClaims(value: unknown): value is TokenClaims {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.iss === "string" &&
    typeof c.sub === "string" &&
    typeof c.aud === "string" &&
    typeof c.exp === "number" &&
    typeof c.nbf === "number" &&
    Array.isArray(c.access) &&
    c.access.every(
      (a: unknown) =>
        typeof a === "object" &&
        a !== null &&
        typeof (a as ResourceAccess).type === "string" &&
        typeof (a as ResourceAccess).name === "string" &&
        Array.isArray((a as ResourceAccess).actions),
    )
  );
}

function base64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}
