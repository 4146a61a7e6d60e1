// API version negotiation, as the docker CLI does it after HEAD /_ping.

/** The newest Engine API this client speaks (docker CLI 28). */
export const clientMaxApiVersion = "1.50";
/** What a daemon that sends no Api-Version header is assumed to speak. */
export const fallbackApiVersion = "1.24";

export function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split(".").map(Number);
  const [b1 = 0, b2 = 0] = b.split(".").map(Number);
  return a1 - b1 || a2 - b2;
}

/** min(server, client max); no header means the oldest version docker still assumes. */
export function negotiateVersion(serverVersion: string | undefined): string {
  const server = serverVersion?.trim() || fallbackApiVersion;
  return compareVersions(server, clientMaxApiVersion) < 0 ? server : clientMaxApiVersion;
}

export function versionAtLeast(version: string, min: string): boolean {
  return compareVersions(version, min) >= 0;
}
