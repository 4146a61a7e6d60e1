// A daemon left out of the run (--no-wharf / --no-docker): every metric shows n/a for it.
import { ApiClient } from "../lib/api.ts";
import type { TargetName } from "../lib/results.ts";
import type { Registry, Target } from "./target.ts";

export function absentTarget(name: TargetName, reason: string): Target {
  const socketPath = "/nonexistent";
  return {
    name,
    socketPath,
    unavailable: reason,
    api: new ApiClient(socketPath),
    newClient: () => new ApiClient(socketPath),
    cli: () => ({ cmd: "false", args: [] }),
    daemonPids: () => [],
    monitorPids: () => [],
    startRegistry: (): Promise<Registry> => Promise.reject(new Error(reason)),
    died: () => undefined,
    versions: async () => ({}),
    stop: async () => {},
  };
}
