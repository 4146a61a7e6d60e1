import { createHash } from "node:crypto";

export function sha256Digest(data: string | Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export function isSha256Digest(s: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(s);
}

export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(":") + 1);
}
