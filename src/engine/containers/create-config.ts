// Turning a create request into the container's Config and HostConfig: image defaults merged
// the way Docker merges them, and HostConfig checked for what Docker refuses.
import { cpus } from "node:os";
import { parseSignal } from "../../util/signals.ts";
import type { ContainerConfig, ContainerCreateRequest, HostConfig } from "../../wire/containers.ts";
import { InvalidParameterError } from "../errors.ts";
import type { ContainerConfig as ImageContainerConfig } from "../images/oci.ts";
import { portRequests } from "../network/ports.ts";
import { seccompFromDockerProfile, seccompOption } from "../runtime/seccomp.ts";
import { ALL_CAPABILITIES, InvalidSpecInputError, normalizeCapabilities } from "../runtime/spec.ts";
import { checkDeviceSettings } from "./devices.ts";
import { mergeHealthcheck } from "./health.ts";
import { checkLogConfig } from "./log-driver.ts";

function mergeEnv(base: string[], overrides: string[]): string[] {
  const out = [...base];
  for (const kv of overrides) {
    const key = kv.split("=")[0];
    const i = out.findIndex((e) => e.split("=")[0] === key);
    if (i >= 0) out[i] = kv;
    else out.push(kv);
  }
  return out;
}

/** Docker's rule: an Entrypoint given at create time drops the image's Cmd. */
export function mergeImageConfig(body: ContainerCreateRequest, image: ImageContainerConfig): ContainerConfig {
  const { HostConfig: _h, NetworkingConfig: _n, ...config } = body;
  if (body.StopSignal && parseSignal(body.StopSignal) === undefined) {
    throw new InvalidParameterError(`Invalid signal: ${body.StopSignal}`);
  }
  const entrypointGiven = Array.isArray(body.Entrypoint) && body.Entrypoint.length > 0;
  const cmd = body.Cmd && body.Cmd.length > 0 ? body.Cmd : entrypointGiven ? null : (image.Cmd ?? null);
  return {
    ...config,
    Hostname: body.Hostname ?? "",
    Domainname: body.Domainname ?? "",
    User: body.User || image.User || "",
    Env: mergeEnv(image.Env ?? [], body.Env ?? []),
    Cmd: cmd,
    Entrypoint: entrypointGiven ? body.Entrypoint : (image.Entrypoint ?? null),
    WorkingDir: body.WorkingDir || image.WorkingDir || "",
    Labels: { ...(image.Labels ?? {}), ...(body.Labels ?? {}) },
    ExposedPorts: { ...(image.ExposedPorts ?? {}), ...(body.ExposedPorts ?? {}) },
    Volumes: { ...(image.Volumes ?? {}), ...(body.Volumes ?? {}) },
    StopSignal: body.StopSignal || image.StopSignal || undefined,
    Healthcheck: mergeHealthcheck(body.Healthcheck, image.Healthcheck),
    OnBuild: null,
    Tty: body.Tty === true,
    OpenStdin: body.OpenStdin === true,
    StdinOnce: body.StdinOnce === true,
    AttachStdin: body.AttachStdin === true,
    AttachStdout: body.AttachStdout === true,
    AttachStderr: body.AttachStderr === true,
  };
}

const restartPolicies = ["", "no", "always", "unless-stopped", "on-failure"];

export function validateHostConfig(input: HostConfig, runtimes: string[], logDriver?: string): HostConfig {
  const hc: HostConfig = { ...input };
  const policy = hc.RestartPolicy ?? { Name: "no", MaximumRetryCount: 0 };
  if (!restartPolicies.includes(policy.Name ?? "")) {
    throw new InvalidParameterError(`invalid restart policy '${policy.Name}'`);
  }
  if ((policy.MaximumRetryCount ?? 0) < 0)
    throw new InvalidParameterError("maximum retry count cannot be negative");
  if (policy.MaximumRetryCount && policy.Name !== "on-failure") {
    throw new InvalidParameterError(
      `maximum retry count cannot be used with restart policy '${policy.Name}'`,
    );
  }
  if (hc.AutoRemove && policy.Name && policy.Name !== "no") {
    throw new InvalidParameterError("can't create 'AutoRemove' container with restart policy");
  }
  hc.RestartPolicy = { Name: policy.Name || "no", MaximumRetryCount: policy.MaximumRetryCount ?? 0 };
  if (hc.Memory && hc.Memory < 6 * 1024 * 1024) {
    throw new InvalidParameterError("Minimum memory limit allowed is 6MB");
  }
  if (hc.MemorySwap && hc.MemorySwap > 0 && hc.Memory && hc.MemorySwap < hc.Memory) {
    throw new InvalidParameterError("Minimum memoryswap limit should be larger than memory limit, see usage");
  }
  const ncpu = cpus().length;
  if (hc.NanoCpus && (hc.NanoCpus < 0 || hc.NanoCpus > ncpu * 1e9)) {
    throw new InvalidParameterError(
      `Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`,
    );
  }
  if (hc.NanoCpus && (hc.CpuQuota || hc.CpuPeriod)) {
    throw new InvalidParameterError("Conflicting options: Nano CPUs and CPU Period cannot both be set");
  }
  // Docker refuses unknown capability names at create, not at start.
  for (const [field, names] of [
    ["CapAdd", hc.CapAdd],
    ["CapDrop", hc.CapDrop],
  ] as const) {
    try {
      normalizeCapabilities(names ?? [], new Set(ALL_CAPABILITIES), false);
    } catch (err) {
      if (err instanceof InvalidSpecInputError)
        throw new InvalidParameterError(`invalid ${field}: ${err.message}`);
      throw err;
    }
  }
  // A seccomp profile that does not parse is refused here, before anything exists (Docker
  // accepts it and fails every start).
  const seccomp = seccompOption(hc.SecurityOpt ?? []);
  if (seccomp !== undefined && !["", "unconfined", "builtin"].includes(seccomp)) {
    seccompFromDockerProfile(seccomp, []);
  }
  const isContainerRef = (mode: string) => /^container:.+/.test(mode);
  if (hc.PidMode && hc.PidMode !== "host" && !isContainerRef(hc.PidMode)) {
    throw new InvalidParameterError(`invalid PID mode: ${hc.PidMode}`);
  }
  const ipcModes = ["", "private", "shareable", "host", "none"];
  if (hc.IpcMode && !ipcModes.includes(hc.IpcMode) && !isContainerRef(hc.IpcMode)) {
    throw new InvalidParameterError(`invalid IPC mode: ${hc.IpcMode}`);
  }
  if (hc.CgroupnsMode && hc.CgroupnsMode !== "private" && hc.CgroupnsMode !== "host") {
    throw new InvalidParameterError(`invalid cgroup namespace mode: ${hc.CgroupnsMode}`);
  }
  checkDeviceSettings(hc);
  const request = hc.DeviceRequests?.[0];
  if (request) {
    const caps = JSON.stringify(request.Capabilities ?? [])
      .replace(/"/g, "")
      .replace(/,/g, " ");
    throw new InvalidParameterError(
      `could not select device driver "${request.Driver ?? ""}" with capabilities: ${caps}`,
    );
  }
  if (hc.CgroupParent?.split("/").includes("..")) {
    throw new InvalidParameterError(`invalid cgroup parent: ${hc.CgroupParent}`);
  }
  const swappiness = hc.MemorySwappiness ?? -1;
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw new InvalidParameterError(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  // Docker's overlay2 sizes a container's layer only on xfs with project quotas; wharf never does.
  if (hc.StorageOpt && Object.keys(hc.StorageOpt).length > 0) {
    throw new InvalidParameterError(
      "--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
    );
  }
  // Docker refuses a malformed port or host port at create; the ports are bound at start.
  portRequests(hc, {});
  // NetworkMode and EndpointsConfig are checked by the network service.
  hc.NetworkMode = hc.NetworkMode || "default";
  hc.LogConfig = checkLogConfig(hc.LogConfig, logDriver);
  if (hc.Runtime && !runtimes.includes(hc.Runtime)) {
    throw new InvalidParameterError(`unknown or invalid runtime name: ${hc.Runtime}`);
  }
  return hc;
}

/** Docker's create warnings for settings it accepts but does not apply. */
export function ignoredSettingWarnings(hc: HostConfig): string[] {
  return hc.KernelMemory
    ? ["Specifying a kernel memory limit is deprecated and will be removed in a future release."]
    : [];
}
