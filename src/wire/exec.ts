// Docker Engine API wire shapes for exec (moby api/swagger.yaml: ExecConfig, ExecStartConfig,
// ExecInspectResponse).

export interface ExecCreateRequest {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Env?: string[] | null;
  WorkingDir?: string;
  Cmd?: string[] | null;
  [key: string]: unknown;
}

export interface ExecStartRequest {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: {
    tty: boolean;
    entrypoint: string;
    arguments: string[];
    privileged?: boolean;
    user?: string;
  };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}
