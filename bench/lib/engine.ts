// The Engine API calls the metrics share, written once against Docker's documented shapes so
// both daemons receive exactly the same requests.
import type { Readable } from "node:stream";
import { type ApiClient, ApiError } from "./api.ts";

export const BASE_IMAGE = "busybox:latest";

export interface ContainerSpec {
  cmd: string[];
  image?: string;
  network?: string;
  /** host port on 127.0.0.1 (or `hostIp`) → container port 80/tcp; `alsoOn`: a second binding */
  publish?: { hostPort: number; containerPort: number; alsoOn?: { hostIp: string; hostPort: number } };
  autoRemove?: boolean;
  /** `--log-opt max-size=…` for the daemon's default log driver */
  logMaxSize?: string;
}

export async function createContainer(api: ApiClient, spec: ContainerSpec): Promise<string> {
  const hostConfig: Record<string, unknown> = { NetworkMode: spec.network ?? "default" };
  const body: Record<string, unknown> = {
    Image: spec.image ?? BASE_IMAGE,
    Cmd: spec.cmd,
    HostConfig: hostConfig,
  };
  if (spec.autoRemove) hostConfig.AutoRemove = true;
  // Type "" = the daemon's default driver, as the CLI sends for a bare --log-opt.
  if (spec.logMaxSize) hostConfig.LogConfig = { Type: "", Config: { "max-size": spec.logMaxSize } };
  if (spec.publish) {
    const port = `${spec.publish.containerPort}/tcp`;
    body.ExposedPorts = { [port]: {} };
    const bindings = [{ HostIp: "127.0.0.1", HostPort: String(spec.publish.hostPort) }];
    const also = spec.publish.alsoOn;
    if (also) bindings.push({ HostIp: also.hostIp, HostPort: String(also.hostPort) });
    hostConfig.PortBindings = { [port]: bindings };
  }
  const res = await api.json<{ Id: string }>("POST", "/containers/create", { body });
  return res.Id;
}

export async function startContainer(api: ApiClient, id: string): Promise<void> {
  await api.call("POST", `/containers/${id}/start`);
}

export interface Waiter {
  /** the exit code (wrapped in an object: an async function would flatten a bare promise) */
  exited: Promise<number>;
}

/**
 * Opens `wait` (before start, as the docker CLI does, so a short-lived container's exit is not
 * missed) once the daemon has answered its headers.
 */
export async function openWait(api: ApiClient, id: string, condition = "next-exit"): Promise<Waiter> {
  const res = await api.open("POST", `/containers/${id}/wait`, { query: { condition }, timeoutMs: 600_000 });
  const status = res.statusCode ?? 0;
  const done = new Promise<number>((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("error", reject);
    res.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (status !== 200) return reject(new ApiError(status, "POST", `/containers/${id}/wait`, text));
      try {
        resolve((JSON.parse(text) as { StatusCode: number }).StatusCode);
      } catch {
        reject(new Error(`wait ${id}: unreadable answer ${text.slice(0, 100)}`));
      }
    });
  });
  // Callers may never await it when an earlier step fails; keep that from crashing the run.
  done.catch(() => {});
  return { exited: done };
}

export async function removeContainer(api: ApiClient, id: string, force = false): Promise<void> {
  await api.call("DELETE", `/containers/${id}`, { query: { force: force || undefined } }, [404]);
}

/** create + wait + start + wait for exit; throws unless the exit code is 0. Returns the id. */
export async function runToExit(api: ApiClient, spec: ContainerSpec): Promise<string> {
  const id = await createContainer(api, spec);
  const waiter = await openWait(api, id);
  await startContainer(api, id);
  const code = await waiter.exited;
  if (code !== 0) throw new Error(`container ${spec.cmd.join(" ")} exited ${code}`);
  return id;
}

export async function listContainerIds(api: ApiClient): Promise<string[]> {
  const list = await api.json<{ Id: string }[]>("GET", "/containers/json", { query: { all: true } });
  return list.map((c) => c.Id);
}

/** Imports a rootfs tar as an image (`docker import`). */
export async function importImage(api: ApiClient, tar: Readable, repo: string, tag: string): Promise<void> {
  await api.progress("POST", "/images/create", {
    query: { fromSrc: "-", repo, tag },
    body: tar,
    contentType: "application/x-tar",
    timeoutMs: 600_000,
  });
}

export async function removeImage(api: ApiClient, ref: string): Promise<void> {
  await api.call("DELETE", `/images/${ref}`, { query: { force: true } }, [404, 409]);
}

/**
 * Leaves a bench daemon as it was after set-up: no containers, only the base image, no build
 * cache. Both daemons are ours alone (own socket and data root), so this touches nothing else.
 */
export async function resetDaemon(api: ApiClient): Promise<void> {
  for (const id of await listContainerIds(api)) await removeContainer(api, id, true);
  const images = await api.json<{ Id: string; RepoTags: string[] | null }[]>("GET", "/images/json", {
    query: { all: true },
  });
  for (const img of images) {
    const tags = (img.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
    if (tags.includes(BASE_IMAGE)) continue;
    for (const tag of tags) await removeImage(api, tag);
    if (tags.length === 0) await removeImage(api, img.Id);
  }
  await api.call("POST", "/build/prune", {}, [404, 501]);
}
