// Type checks for JSON request bodies, so a wrong type is a 400 naming the field instead of a
// crash deep in the engine.
import { InvalidParameterError } from "../engine/errors.ts";

type Kind = "string" | "number" | "boolean" | "object" | "strings" | "strslice" | "array";

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function fits(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case "strings":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
    case "strslice": // Docker accepts a string or a list of strings (Cmd, Entrypoint)
      return typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && !Array.isArray(value);
    default:
      return typeof value === kind;
  }
}

/** Checks the fields present in `body` (null is accepted as "unset"). */
export function checkFields(body: unknown, schema: Record<string, Kind>, prefix: string): void {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new InvalidParameterError(`invalid JSON: ${prefix || "body"} must be an object`);
  }
  const record = body as Record<string, unknown>;
  for (const [field, kind] of Object.entries(schema)) {
    const value = record[field];
    if (value === undefined || value === null) continue;
    if (!fits(kind, value)) {
      const want = kind === "strings" || kind === "strslice" ? "array of strings" : kind;
      throw new InvalidParameterError(
        `invalid JSON: field "${prefix}${field}" must be ${want === "array" || want === "object" ? "an" : "a"} ${want}, got ${kindOf(value)}`,
      );
    }
  }
}

export const containerConfigSchema: Record<string, Kind> = {
  Hostname: "string",
  Domainname: "string",
  User: "string",
  AttachStdin: "boolean",
  AttachStdout: "boolean",
  AttachStderr: "boolean",
  ExposedPorts: "object",
  Tty: "boolean",
  OpenStdin: "boolean",
  StdinOnce: "boolean",
  Env: "strings",
  Cmd: "strslice",
  Healthcheck: "object",
  Image: "string",
  Volumes: "object",
  WorkingDir: "string",
  Entrypoint: "strslice",
  Labels: "object",
  StopSignal: "string",
  StopTimeout: "number",
  HostConfig: "object",
  NetworkingConfig: "object",
};

export const hostConfigSchema: Record<string, Kind> = {
  Binds: "strings",
  NetworkMode: "string",
  RestartPolicy: "object",
  AutoRemove: "boolean",
  CapAdd: "strings",
  CapDrop: "strings",
  Dns: "strings",
  DnsOptions: "strings",
  DnsSearch: "strings",
  ExtraHosts: "strings",
  Privileged: "boolean",
  ReadonlyRootfs: "boolean",
  SecurityOpt: "strings",
  Tmpfs: "object",
  VolumeDriver: "string",
  ShmSize: "number",
  Sysctls: "object",
  Runtime: "string",
  Init: "boolean",
  CpuShares: "number",
  Memory: "number",
  MemoryReservation: "number",
  MemorySwap: "number",
  NanoCpus: "number",
  CpuPeriod: "number",
  CpuQuota: "number",
  CpusetCpus: "string",
  CpusetMems: "string",
  PidsLimit: "number",
  BlkioWeight: "number",
  OomScoreAdj: "number",
  Ulimits: "array",
  LogConfig: "object",
  PidMode: "string",
  IpcMode: "string",
  UTSMode: "string",
  Mounts: "array",
  PortBindings: "object",
};

/** Cmd/Entrypoint may arrive as a string: Docker treats it as a one-element list. */
export function strslice(value: unknown): string[] | null | undefined {
  if (typeof value === "string") return [value];
  return value as string[] | null | undefined;
}
