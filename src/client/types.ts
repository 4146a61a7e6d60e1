// Response shapes the client reads that src/wire does not define yet (moby api/swagger.yaml).
// Only the fields the CLI uses are spelled out; the rest stays reachable through the index
// signature, since inspect output is printed whole.

import type { ContainerConfig, ContainerState, HostConfig } from "../wire/containers.ts";

export type {
  ContainerConfig,
  ContainerCreateRequest,
  ContainerState,
  ContainerSummary,
  HostConfig,
  WaitResponse,
} from "../wire/containers.ts";

export interface PingResult {
  apiVersion: string | undefined;
  osType: string | undefined;
  experimental: boolean;
  builderVersion: string | undefined;
}

export interface VersionComponent {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

export interface VersionResponse {
  Platform?: { Name: string };
  Components?: VersionComponent[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
  [key: string]: unknown;
}

export interface InfoResponse {
  ID?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  Driver?: string;
  DriverStatus?: Array<[string, string]> | null;
  Plugins?: Record<string, string[] | null>;
  ServerVersion?: string;
  [key: string]: unknown;
}

export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState & { Health?: { Status: string } };
  Image: string;
  Name: string;
  RestartCount: number;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  SizeRw?: number;
  SizeRootFs?: number;
  [key: string]: unknown;
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
  [key: string]: unknown;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: string;
  Size: number;
  Config?: ContainerConfig | null;
  [key: string]: unknown;
}

/** One item of /images/delete's answer. */
export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ContainerPruneReport {
  ContainersDeleted: string[] | null;
  SpaceReclaimed: number;
}

export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> | null };
  scope?: string;
  time: number;
  /** Nanoseconds; a bigint when the number does not fit a double exactly. */
  timeNano: number | bigint;
}

/** A progress object of pull/push/import/load/build streams. */
export interface JsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number; start?: number; units?: string; hidecounts?: boolean };
  stream?: string;
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message: string };
}

export interface CreateResponse {
  Id: string;
  Warnings: string[] | null;
}
