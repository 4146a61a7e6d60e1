// Shared helpers for the registry tests: an in-process registry on a temp root and port 0,
// and small clients for the raw Distribution API.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultConfig, type RegistryConfig } from "../../../src/distribution/registry/config.ts";
import { type RunningRegistry, startRegistry } from "../../../src/distribution/registry/server.ts";

export interface TestRegistry {
  registry: RunningRegistry;
  url: string;
  root: string;
  dir: string;
  logs: string[];
  close(): Promise<void>;
}

export async function tempDir(prefix = "wharf-registry-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function startTestRegistry(overrides: Partial<RegistryConfig> = {}): Promise<TestRegistry> {
  const dir = await tempDir();
  const root = join(dir, "root");
  const logs: string[] = [];
  const config: RegistryConfig = {
    ...defaultConfig(),
    addr: "127.0.0.1:0",
    root,
    shutdownTimeoutMs: 5000,
    ...overrides,
  };
  let registry: RunningRegistry;
  try {
    registry = await startRegistry(config, { log: (l) => logs.push(l), errorLog: (l) => logs.push(l) });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    registry,
    url: registry.url,
    root,
    dir,
    logs,
    async close() {
      await registry.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export function sha512(data: Uint8Array | string): string {
  return `sha512:${createHash("sha512").update(data).digest("hex")}`;
}

export async function errorCodes(res: Response): Promise<string[]> {
  const body = (await res.json()) as { errors?: { code: string }[] };
  return (body.errors ?? []).map((e) => e.code);
}

/** Pushes a blob with a single POST; returns its digest. */
export async function pushBlob(
  url: string,
  repo: string,
  data: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<string> {
  const digest = sha256(data);
  const res = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream", ...headers },
    body: typeof data === "string" ? data : Buffer.from(data),
  });
  if (res.status !== 201) throw new Error(`push blob: ${res.status} ${await res.text()}`);
  return digest;
}

export interface PushedImage {
  manifest: string;
  digest: string;
  config: string;
  layers: string[];
}

/** Pushes a small OCI image (config + layers + manifest) and tags it. */
export async function pushImage(
  url: string,
  repo: string,
  tag: string | undefined,
  options: {
    layers?: string[];
    headers?: Record<string, string>;
    extra?: Record<string, unknown>;
    configMediaType?: string;
    mediaType?: string;
  } = {},
): Promise<PushedImage> {
  const headers = options.headers ?? {};
  const configBytes = JSON.stringify({ architecture: "amd64", os: "linux", tag, repo, rnd: Math.random() });
  const config = await pushBlob(url, repo, configBytes, headers);
  const layerData = options.layers ?? [`layer of ${repo}:${tag} ${Math.random()}`];
  const layers: string[] = [];
  for (const data of layerData) layers.push(await pushBlob(url, repo, data, headers));
  const mediaType = options.mediaType ?? "application/vnd.oci.image.manifest.v1+json";
  const layerType =
    mediaType === "application/vnd.oci.image.manifest.v1+json"
      ? "application/vnd.oci.image.layer.v1.tar"
      : "application/vnd.docker.image.rootfs.diff.tar.gzip";
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType:
        options.configMediaType ??
        (mediaType.includes("docker")
          ? "application/vnd.docker.container.image.v1+json"
          : "application/vnd.oci.image.config.v1+json"),
      digest: config,
      size: Buffer.byteLength(configBytes),
    },
    layers: layers.map((digest, i) => ({
      mediaType: layerType,
      digest,
      size: Buffer.byteLength(layerData[i]!),
    })),
    ...options.extra,
  });
  const digest = sha256(manifest);
  const res = await fetch(`${url}/v2/${repo}/manifests/${tag ?? digest}`, {
    method: "PUT",
    headers: { "Content-Type": mediaType, ...headers },
    body: manifest,
  });
  if (res.status !== 201) throw new Error(`push manifest: ${res.status} ${await res.text()}`);
  return { manifest, digest, config, layers };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request whose path is sent exactly as given (fetch would normalize "/../"). */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A self-signed certificate for 127.0.0.1 (and localhost), made with openssl. */
export async function makeSelfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ]);
  return { cert, key };
}

/** Every file under the root with its size: refused requests must leave this unchanged. */
export async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name !== "registry.lock" && entry.name !== "admin.sock") {
        out.push(`${path} ${(await stat(path)).size}`);
      }
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * Every kind of write the API has, against `repo` (which holds tag v1), each expected to be
 * refused with `status`: monolithic and session uploads, a chunk and a close on an existing
 * session, manifest PUT and DELETE, blob DELETE, a cross-repository mount.
 */
export async function refusedWrites(
  url: string,
  repo: string,
  headers: Record<string, string>,
  session: string,
  status: number,
): Promise<void> {
  const manifest = await fetch(`${url}/v2/${repo}/manifests/v1`, { headers: { ...headers } });
  const body = manifest.ok ? await manifest.text() : "{}";
  const digest = sha256(body);
  const attempts: [string, string, RequestInit][] = [
    ["POST", `/v2/${repo}/blobs/uploads/?digest=${sha256("x")}`, { body: "x" }],
    ["POST", `/v2/${repo}/blobs/uploads/`, {}],
    ["POST", `/v2/${repo}/blobs/uploads/?mount=${digest}&from=${repo}`, {}],
    ["PATCH", session, { body: "chunk" }],
    ["PUT", `${session}?digest=${sha256("chunk")}`, { body: "chunk" }],
    ["DELETE", session, {}],
    [
      "PUT",
      `/v2/${repo}/manifests/v2`,
      { body, headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" } },
    ],
    ["DELETE", `/v2/${repo}/manifests/${digest}`, {}],
    ["DELETE", `/v2/${repo}/blobs/${digest}`, {}],
  ];
  for (const [method, path, init] of attempts) {
    const res = await fetch(`${url}${path}`, {
      ...init,
      method,
      headers: { ...((init.headers as Record<string, string>) ?? {}), ...headers },
    });
    await res.text();
    if (res.status !== status) throw new Error(`${method} ${path}: ${res.status}, expected ${status}`);
  }
}
