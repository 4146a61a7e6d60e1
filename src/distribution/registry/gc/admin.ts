// The admin socket: a unix socket, owner-only, on which a running server accepts gc requests,
// so `wharf registry gc` collects inside the serving process (where the retention tracker
// makes it safe) instead of racing it from outside.
import { createHash } from "node:crypto";
import { chmod, rm } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GcReport } from "./collector.ts";

export interface GcRequest {
  dryRun: boolean;
  graceMs?: number;
}

/** Unix socket paths are limited to ~107 bytes; long roots get a hashed path in the tmp dir. */
export function adminSocketPath(root: string, preferred: string): string {
  if (Buffer.byteLength(preferred) < 100) return preferred;
  const hash = createHash("sha256").update(root).digest("hex").slice(0, 16);
  return join(tmpdir(), `wharf-registry-${hash}.sock`);
}

export async function startAdminServer(
  socketPath: string,
  runGc: (request: GcRequest) => Promise<GcReport>,
): Promise<Server> {
  await rm(socketPath, { force: true });
  const server = createServer((req, res) => {
    if (req.method !== "POST" || req.url !== "/gc") {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: GcRequest;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as GcRequest;
      } catch {
        res.writeHead(400).end();
        return;
      }
      runGc({
        dryRun: body.dryRun === true,
        ...(typeof body.graceMs === "number" ? { graceMs: body.graceMs } : {}),
      })
        .then((report) => {
          res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(report));
        })
        .catch((err: unknown) => {
          res
            .writeHead(500, { "Content-Type": "application/json" })
            .end(JSON.stringify({ error: String(err) }));
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(socketPath, 0o600);
  return server;
}

export async function requestGc(socketPath: string, gc: GcRequest): Promise<GcReport> {
  const payload = JSON.stringify(gc);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: "/gc",
        method: "POST",
        headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) {
            reject(new Error(`registry server refused gc (${res.statusCode}): ${text}`));
            return;
          }
          resolve(JSON.parse(text) as GcReport);
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
