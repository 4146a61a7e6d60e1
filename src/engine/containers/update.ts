// pause / unpause (the cgroup freezer, through the runtime) and update (resources and the
// restart policy of an existing container; applied to the running cgroup at once).
import { existsSync } from "node:fs";
import type { CgroupLayout } from "../../platform/host.ts";
import type { HostConfig } from "../../wire/containers.ts";
import { ConflictError, EngineError, InvalidParameterError } from "../errors.ts";
import type { Runtimes } from "../runtime/runtimes.ts";
import { buildResources, InvalidSpecInputError } from "../runtime/spec.ts";
import { validateHostConfig } from "./create-config.ts";
import type { ContainerService } from "./service.ts";

/** The HostConfig fields `docker update` may change. */
export const updatableFields = [
  "Memory",
  "MemorySwap",
  "MemoryReservation",
  "NanoCpus",
  "CpuShares",
  "CpuPeriod",
  "CpuQuota",
  "CpusetCpus",
  "CpusetMems",
  "PidsLimit",
  "BlkioWeight",
  "RestartPolicy",
] as const;

export class ContainerControl {
  private readonly containers: ContainerService;
  private readonly runtimes: Runtimes;
  private readonly cgroup: CgroupLayout;

  constructor(containers: ContainerService, runtimes: Runtimes, cgroup: CgroupLayout) {
    this.containers = containers;
    this.runtimes = runtimes;
    this.cgroup = cgroup;
  }

  async pause(ref: string): Promise<void> {
    const c = this.containers.repo.get(ref);
    if (!c.state.Running) throw new ConflictError(`Container ${c.id} is not running`);
    if (c.state.Paused) throw new ConflictError(`Container ${c.id} is already paused`);
    if (c.state.Restarting)
      throw new ConflictError(`Container ${c.id} is restarting, wait until the container is running`);
    await this.runtimes
      .get(c.runtime)
      .pause(c.id)
      .catch((err: Error) => {
        throw new EngineError(`Cannot pause container ${c.id}: ${err.message}`);
      });
    Object.assign(c.state, { Paused: true, Status: "paused" });
    this.containers.repo.save(c);
    this.containers.publish(c, "pause");
  }

  async unpause(ref: string): Promise<void> {
    const c = this.containers.repo.get(ref);
    if (!c.state.Paused) throw new ConflictError(`Container ${c.id} is not paused`);
    await this.runtimes
      .get(c.runtime)
      .resume(c.id)
      .catch((err: Error) => {
        throw new EngineError(`Cannot unpause container ${c.id}: ${err.message}`);
      });
    Object.assign(c.state, { Paused: false, Status: "running" });
    this.containers.repo.save(c);
    this.containers.publish(c, "unpause");
  }

  /** POST /containers/{id}/update. */
  async update(ref: string, body: HostConfig): Promise<{ Warnings: string[] }> {
    const c = this.containers.repo.get(ref);
    const changes: HostConfig = {};
    for (const f of updatableFields)
      if (body[f] !== undefined && body[f] !== null) changes[f] = body[f] as never;
    if (
      changes.RestartPolicy &&
      c.hostConfig.AutoRemove &&
      changes.RestartPolicy.Name &&
      changes.RestartPolicy.Name !== "no"
    ) {
      throw new InvalidParameterError(
        "Restart policy cannot be updated because AutoRemove is enabled for the container",
      );
    }
    // Docker keeps the current value for fields left at 0 (except the restart policy).
    const merged: HostConfig = { ...c.hostConfig };
    for (const [k, v] of Object.entries(changes)) if (v !== 0 && v !== "") merged[k] = v;
    if (
      changes.Memory &&
      !changes.MemorySwap &&
      (c.hostConfig.MemorySwap ?? 0) > 0 &&
      changes.Memory > (c.hostConfig.MemorySwap ?? 0)
    ) {
      throw new InvalidParameterError(
        "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time",
      );
    }
    const checked = validateHostConfig(merged, this.runtimes.names());
    if (c.state.Running) {
      try {
        const resources = buildResources(
          {
            memory: checked.Memory,
            memorySwap: checked.MemorySwap,
            memoryReservation: checked.MemoryReservation,
            nanoCpus: checked.NanoCpus,
            cpuShares: checked.CpuShares,
            cpuQuota: checked.CpuQuota,
            cpuPeriod: checked.CpuPeriod,
            cpusetCpus: checked.CpusetCpus,
            cpusetMems: checked.CpusetMems,
            pidsLimit: checked.PidsLimit ?? undefined,
            blkioWeight: checked.BlkioWeight,
          },
          {
            privileged: false,
            swapLimitSupported:
              this.cgroup.version === 2 || existsSync("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"),
          },
        );
        // Devices are fixed at create; update touches only the limits.
        const { devices: _devices, ...limits } = resources;
        await this.runtimes.get(c.runtime).update(c.id, limits);
      } catch (err) {
        if (err instanceof InvalidSpecInputError) throw new InvalidParameterError(err.message);
        throw new EngineError(`Cannot update container ${c.id}: ${(err as Error).message}`);
      }
    }
    c.hostConfig = { ...c.hostConfig, ...checked, RestartPolicy: checked.RestartPolicy };
    this.containers.repo.save(c);
    this.containers.publish(c, "update");
    return { Warnings: [] };
  }
}
