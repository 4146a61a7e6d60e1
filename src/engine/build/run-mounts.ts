// RUN --mount, as Docker's Dockerfile frontend defines it (commands_runmount.go): the option
// string, and the persistent cache directories behind `type=cache` (one per id under the data
// root, kept across builds, never part of a layer, emptied by POST /build/prune).
import { createHash } from "node:crypto";
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { DockerfileError } from "./dockerfile.ts";

export type RunMount =
  | { type: "bind"; target: string; source: string; from?: string; readOnly: boolean }
  | {
      type: "cache";
      target: string;
      id: string;
      sharing: "shared" | "private" | "locked";
      readOnly: boolean;
      mode: number;
      uid: number;
      gid: number;
      /** `from`: a stage or image whose `source` path seeds the cache when it is first made. */
      from?: string;
      source?: string;
    }
  | { type: "tmpfs"; target: string; size?: number };

const boolValue = (key: string, value: string | undefined): boolean => {
  if (value === undefined || value === "" || value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new DockerfileError(`invalid value for ${key}: ${value}`);
};

/** Parses one `--mount=` value (comma-separated key=value fields, `type` defaults to bind). */
export function parseRunMount(spec: string): RunMount {
  const fields = new Map<string, string | undefined>();
  for (const field of spec.split(",")) {
    if (field === "") continue;
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    fields.set(key, eq < 0 ? undefined : field.slice(eq + 1));
  }
  const type = fields.get("type") ?? "bind";
  if (type === "secret" || type === "ssh")
    throw new DockerfileError(
      `--mount=type=${type} is not supported: wharf's builder has no ${type === "secret" ? "secret" : "SSH agent"} forwarding`,
    );
  if (type !== "bind" && type !== "cache" && type !== "tmpfs")
    throw new DockerfileError(`unsupported mount type "${type}"`);
  const known = new Set([
    "type",
    "target",
    "dst",
    "destination",
    "source",
    "src",
    "from",
    "readonly",
    "ro",
    "readwrite",
    "rw",
    "id",
    "sharing",
    "mode",
    "uid",
    "gid",
    "size",
    "required",
  ]);
  for (const key of fields.keys())
    if (!known.has(key)) throw new DockerfileError(`unexpected key '${key}' in '${spec}'`);
  const rawTarget = fields.get("target") ?? fields.get("dst") ?? fields.get("destination");
  if (!rawTarget) throw new DockerfileError(`mount target is required in '${spec}'`);
  const target = posix.normalize(rawTarget.startsWith("/") ? rawTarget : `/${rawTarget}`);
  if (target === "/") throw new DockerfileError("invalid mount target: / is not allowed");
  const rw = fields.has("rw") || fields.has("readwrite");
  const ro = fields.has("ro") || fields.has("readonly");
  const readOnlyDefault = type === "bind";
  const readOnly = ro
    ? boolValue("readonly", fields.get("ro") ?? fields.get("readonly"))
    : rw
      ? !boolValue("readwrite", fields.get("rw") ?? fields.get("readwrite"))
      : readOnlyDefault;
  if (type === "tmpfs") {
    const size = fields.get("size");
    return { type, target, ...(size ? { size: Number.parseInt(size, 10) } : {}) };
  }
  if (type === "bind") {
    const from = fields.get("from");
    return {
      type,
      target,
      source: fields.get("source") ?? fields.get("src") ?? "/",
      readOnly,
      ...(from && from !== "context" ? { from } : {}),
    };
  }
  const sharing = fields.get("sharing") ?? "shared";
  if (sharing !== "shared" && sharing !== "private" && sharing !== "locked")
    throw new DockerfileError(`unsupported sharing value "${sharing}"`);
  const num = (key: string, radix: number, fallback: number): number => {
    const v = fields.get(key);
    if (v === undefined) return fallback;
    const n = Number.parseInt(v, radix);
    if (!/^[0-9]+$/.test(v) || Number.isNaN(n)) throw new DockerfileError(`invalid value for ${key}: ${v}`);
    return n;
  };
  return {
    type,
    target,
    id: fields.get("id") || target,
    sharing,
    readOnly,
    mode: num("mode", 8, 0o755),
    uid: num("uid", 10, 0),
    gid: num("gid", 10, 0),
    // Only with `from` (the step's cache key holds the parsed mount: keep it as it was without).
    ...(fields.get("from")
      ? { from: fields.get("from"), source: fields.get("source") ?? fields.get("src") ?? "/" }
      : {}),
  };
}

interface CacheMountMeta {
  id: string;
  description: string;
  createdAt: string;
  lastUsedAt: string;
  usageCount: number;
}

/** One entry of GET /system/df's BuildCache (moby types.BuildCache). */
export interface BuildCacheRecord {
  ID: string;
  Parents: string[] | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

/** The cache directories of `RUN --mount=type=cache`, with their sharing modes. */
export class CacheMounts {
  readonly root: string;
  private readonly inUse = new Map<string, number>();
  private readonly locks = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.root = root;
  }

  /** A directory name safe for any id (ids may hold "/", "..", anything). */
  private dirName(id: string): string {
    const readable = id
      .replace(/[^A-Za-z0-9_.-]/g, "_")
      .replace(/^\.+/, "_")
      .slice(0, 64);
    return `${readable}-${createHash("sha256").update(id).digest("hex").slice(0, 12)}`;
  }

  /** Takes the cache for one RUN; `release` must be called when the RUN is over. */
  async acquire(
    m: Extract<RunMount, { type: "cache" }>,
    usedBy: string,
    seed?: (dir: string) => Promise<void>,
  ): Promise<{ dir: string; release: () => Promise<void> }> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const name = this.dirName(m.id);
    if (m.sharing === "private" && (this.inUse.get(name) ?? 0) > 0) {
      // Another RUN holds it: this one gets a fresh cache that is thrown away afterwards.
      const dir = await mkdtemp(join(this.root, ".private-"));
      const own = dir.slice(this.root.length + 1);
      this.inUse.set(own, 1); // prune leaves it alone while the RUN uses it
      await seed?.(dir);
      await this.prepare(dir, m);
      return {
        dir,
        release: async () => {
          this.inUse.delete(own);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    let unlock = () => {};
    if (m.sharing === "locked") {
      while (this.locks.has(name)) await this.locks.get(name);
      this.locks.set(name, new Promise<void>((resolve) => (unlock = resolve)));
    }
    const home = join(this.root, name);
    const dir = join(home, "data");
    // Concurrent stages may ask for the same new cache: whoever makes the directory prepares it.
    await mkdir(home, { recursive: true, mode: 0o700 });
    const fresh = await mkdir(dir, { mode: m.mode }).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === "EEXIST") return false;
        throw err;
      },
    );
    if (fresh) {
      try {
        await seed?.(dir);
      } catch (err) {
        // Not left half-seeded: the next RUN seeds it again.
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
      await this.prepare(dir, m);
    }
    const now = new Date().toISOString();
    const meta = fresh ? undefined : await this.readMeta(name);
    await writeFile(
      join(home, "meta.json"),
      JSON.stringify({
        id: m.id,
        description: meta?.description ?? `cached mount ${m.target} from exec ${usedBy}`,
        createdAt: meta?.createdAt ?? now,
        lastUsedAt: now,
        usageCount: (meta?.usageCount ?? 0) + 1,
      } satisfies CacheMountMeta),
    );
    this.inUse.set(name, (this.inUse.get(name) ?? 0) + 1);
    return {
      dir,
      release: async () => {
        this.inUse.set(name, (this.inUse.get(name) ?? 1) - 1);
        if (this.locks.has(name) && m.sharing === "locked") {
          this.locks.delete(name);
          unlock();
        }
      },
    };
  }

  private async readMeta(name: string): Promise<CacheMountMeta | undefined> {
    try {
      return JSON.parse(await readFile(join(this.root, name, "meta.json"), "utf8")) as CacheMountMeta;
    } catch {
      return undefined;
    }
  }

  /** Docker's BuildCache records (`exec.cachemount`) for GET /system/df. */
  async records(): Promise<BuildCacheRecord[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const out: BuildCacheRecord[] = [];
    for (const name of names) {
      if (name.startsWith(".")) continue;
      const meta = await this.readMeta(name);
      out.push({
        ID: name,
        Parents: null,
        Type: "exec.cachemount",
        Description: meta?.description ?? "cached mount",
        InUse: (this.inUse.get(name) ?? 0) > 0,
        Shared: false,
        Size: await diskUsage(join(this.root, name, "data")),
        CreatedAt: meta?.createdAt ?? new Date(0).toISOString(),
        LastUsedAt: meta?.lastUsedAt ?? null,
        UsageCount: meta?.usageCount ?? 0,
      });
    }
    return out;
  }

  private async prepare(dir: string, m: Extract<RunMount, { type: "cache" }>): Promise<void> {
    await chown(dir, m.uid, m.gid);
    await chmod(dir, m.mode);
  }

  /** Throwaway `sharing=private` copies left by a daemon that stopped mid-RUN. */
  async removeStalePrivate(): Promise<void> {
    for (const name of await readdir(this.root).catch(() => [] as string[]))
      if (name.startsWith(".private-")) await rm(join(this.root, name), { recursive: true, force: true });
  }

  /** Removes one cache (by record ID) unless a RUN uses it; returns the bytes freed, or undefined. */
  async remove(name: string): Promise<number | undefined> {
    if (name.startsWith(".") || name.includes("/") || (this.inUse.get(name) ?? 0) > 0) return undefined;
    const bytes = await diskUsage(join(this.root, name, "data"));
    await rm(join(this.root, name), { recursive: true, force: true });
    return bytes;
  }
}

async function diskUsage(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.blocks * 512;
  let total = st.blocks * 512;
  for (const name of await readdir(path)) total += await diskUsage(join(path, name));
  return total;
}
