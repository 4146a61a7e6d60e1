// The persisted container record and the repository that keeps it in SQLite (write-through,
// with every record cached in memory: lookups on the request path never touch the disk).
import type { Database } from "../../store/db.ts";
import type { ContainerConfig, ContainerState, HostConfig } from "../../wire/containers.ts";
import { InvalidParameterError, NotFoundError } from "../errors.ts";
import type { MountPoint } from "../volumes/mount-point.ts";

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  networkingConfig: { EndpointsConfig?: Record<string, unknown> };
  imageId: string;
  /** Short links of the image layers, topmost first (the overlay lowerdir list). */
  lowerLayers: string[];
  runtime: string;
  state: ContainerState & { conmonPid?: number };
  restartCount: number;
  /** Set by stop/kill from a user so restart policies (except always) leave it stopped. */
  stoppedByUser: boolean;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  logPath: string;
  /** Volumes, binds and tmpfs mounts resolved at create (absent in records from before volumes). */
  mountPoints?: MountPoint[];
  /** A builder's RUN container: no build outlives wharfd, so the next wharfd removes it. */
  buildStep?: boolean;
}

export function initialState(): ContainerRecord["state"] {
  return {
    Status: "created",
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: "",
    StartedAt: "0001-01-01T00:00:00Z",
    FinishedAt: "0001-01-01T00:00:00Z",
  };
}

export class ContainerRepository {
  private readonly db: Database;
  private readonly byId = new Map<string, ContainerRecord>();

  constructor(db: Database) {
    this.db = db;
    for (const row of db.sql.prepare("SELECT record FROM containers").all() as Array<{ record: string }>) {
      const record = JSON.parse(row.record) as ContainerRecord;
      this.byId.set(record.id, record);
    }
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  byName(name: string): ContainerRecord | undefined {
    const bare = name.replace(/^\//, "");
    for (const c of this.byId.values()) if (c.name === bare) return c;
    return undefined;
  }

  /** Docker's lookup order: full ID, exact name, then unique ID prefix. */
  find(ref: string): ContainerRecord | undefined {
    const exact = this.byId.get(ref) ?? this.byName(ref);
    if (exact) return exact;
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const matches = [...this.byId.values()].filter((c) => c.id.startsWith(ref));
    if (matches.length > 1)
      throw new InvalidParameterError(`multiple IDs found with provided prefix: ${ref}`);
    return matches[0];
  }

  get(ref: string): ContainerRecord {
    const found = this.find(ref);
    if (!found) throw new NotFoundError(`No such container: ${ref}`);
    return found;
  }

  insert(record: ContainerRecord): void {
    this.db.sql
      .prepare("INSERT INTO containers (id, name, created, record) VALUES (?, ?, ?, ?)")
      .run(record.id, record.name, Date.parse(record.created), JSON.stringify(record));
    this.byId.set(record.id, record);
  }

  save(record: ContainerRecord): void {
    this.db.sql
      .prepare("UPDATE containers SET name = ?, record = ? WHERE id = ?")
      .run(record.name, JSON.stringify(record), record.id);
  }

  delete(id: string): void {
    this.db.sql.prepare("DELETE FROM containers WHERE id = ?").run(id);
    this.byId.delete(id);
  }
}

/** The container's cgroup (cgroupfs driver): under HostConfig.CgroupParent, else /wharf. */
export function cgroupPathOf(c: Pick<ContainerRecord, "id" | "hostConfig">): string {
  const parent = (c.hostConfig.CgroupParent ?? "").replace(/^\/+|\/+$/g, "");
  return parent ? `/${parent}/${c.id}` : `/wharf/${c.id}`;
}
