// GET/HEAD/DELETE /v2/<name>/blobs/<digest>: blobs stream from disk with Range support.
import { pipeline } from "node:stream/promises";
import { type Digest, parseDigest } from "../digest.ts";
import { RegistryError } from "../errors.ts";
import type { HandlerContext } from "./context.ts";
import { parseRangeHeader } from "./ranges.ts";
import { sendEmpty } from "./respond.ts";

/** A blob is visible in a repository when linked there as a layer or held as a manifest. */
export async function blobInRepository(ctx: HandlerContext, name: string, digest: Digest): Promise<boolean> {
  const { storage } = ctx;
  ctx.retain(digest.value);
  if (await storage.repositories.hasBlobLink(name, digest)) return true;
  return (await storage.repositories.getRevision(name, digest)) !== undefined;
}

export async function getBlob(ctx: HandlerContext, name: string, digestText: string): Promise<void> {
  const { req, res, storage } = ctx;
  const digest = parseDigest(digestText);
  const blob = (await blobInRepository(ctx, name, digest)) ? await storage.blobs.open(digest) : undefined;
  if (!blob) throw new RegistryError("BLOB_UNKNOWN", undefined, { detail: { digest: digest.value } });
  const headers = {
    "Docker-Content-Digest": digest.value,
    "Content-Type": "application/octet-stream",
    "Accept-Ranges": "bytes",
    ETag: `"${digest.value}"`,
    "Cache-Control": "max-age=31536000",
  };
  const range = parseRangeHeader(req.method === "GET" ? req.headers.range : undefined, blob.size);
  if (req.method === "HEAD" || range.kind === "unsatisfiable") {
    await blob.close();
    if (range.kind === "unsatisfiable") {
      // No error code of the spec fits; a bare 416 with the size is what HTTP asks for.
      sendEmpty(res, 416, { "Content-Range": `bytes */${blob.size}` });
      return;
    }
    res.writeHead(200, { ...headers, "Content-Length": blob.size });
    res.end();
    return;
  }
  if (range.kind === "partial") {
    res.writeHead(206, {
      ...headers,
      "Content-Length": range.end - range.start + 1,
      "Content-Range": `bytes ${range.start}-${range.end}/${blob.size}`,
    });
    await streamOut(blob.stream(range), res);
    return;
  }
  res.writeHead(200, { ...headers, "Content-Length": blob.size });
  if (blob.size === 0) {
    await blob.close();
    res.end();
    return;
  }
  await streamOut(blob.stream(), res);
}

async function streamOut(source: NodeJS.ReadableStream, res: HandlerContext["res"]): Promise<void> {
  try {
    await pipeline(source, res);
  } catch (err) {
    // A client that hangs up mid-download is routine, not a server error.
    if ((err as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") throw err;
  }
}

export async function deleteBlob(ctx: HandlerContext, name: string, digestText: string): Promise<void> {
  const digest = parseDigest(digestText);
  if (!(await ctx.storage.repositories.unlinkBlob(name, digest))) {
    throw new RegistryError("BLOB_UNKNOWN", undefined, { detail: { digest: digest.value } });
  }
  // The bytes themselves go when gc finds nothing else referencing them.
  sendEmpty(ctx.res, 202, { "Docker-Content-Digest": digest.value });
}
