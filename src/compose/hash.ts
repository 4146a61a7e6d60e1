// The config hash compose stores on each container (com.docker.compose.config-hash): a digest
// of the service's configuration, so `up` recreates only the services whose configuration
// changed. Scale and replicas are left out: changing them adds or removes containers, it does
// not change the existing ones.
import { createHash } from "node:crypto";
import type { ServiceConfig } from "./model.ts";

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

export function serviceConfigHash(service: ServiceConfig, extra: Record<string, unknown> = {}): string {
  const { scale: _scale, profiles: _profiles, deploy, ...rest } = service;
  const d = deploy ? { ...deploy } : undefined;
  if (d) delete d.replicas;
  return createHash("sha256")
    .update(canonicalJson({ ...rest, deploy: d, ...extra }))
    .digest("hex");
}
