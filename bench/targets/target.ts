// What a metric needs from a daemon under test; wharfd and the reference dockerd both provide it.
import type { ApiClient } from "../lib/api.ts";
import type { TargetName } from "../lib/results.ts";

export interface Registry {
  /** host:port, for image references */
  readonly address: string;
  /** the server's process (for RSS sampling) */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface Target {
  readonly name: TargetName;
  readonly socketPath: string;
  /** Set when the daemon is not usable; every metric then shows n/a with this reason. */
  unavailable?: string;
  /** the shared keep-alive client */
  readonly api: ApiClient;
  /** a separate client (own connections), for concurrent-client metrics */
  newClient(): ApiClient;
  /** the CLI command and its leading arguments, -H included */
  cli(): { cmd: string; args: string[] };
  /** processes that make up the daemon (dockerd + its containerd; wharfd) */
  daemonPids(): number[];
  /** the per-container monitor processes (containerd-shim / conmon) of these containers */
  monitorPids(containerIds: readonly string[]): number[];
  /** starts the registry this daemon's push/pull is measured against, on a fresh root */
  startRegistry(root: string, port: number): Promise<Registry>;
  /** why the daemon is gone when its process has exited mid-run, else undefined */
  died(): string | undefined;
  /** daemon, CLI and component versions, for the report */
  versions(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}
