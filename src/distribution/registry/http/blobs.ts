// GET/HEAD/DELETE /v2/<name>/blobs/<digest>: blobs stream from disk with Range support.
import { type Digest, parseDigest } from "../digest.ts";
import { RegistryError } from "../errors.ts";
import type { HandlerContext } from "./context.ts";
import { parseRangeHeader } from "./ranges.ts";
import { sendEmpty } from "./respond.ts";
import { ClientGoneError, sendRange } from "./send-blob.ts";

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
  const [status, start, end] =
    range.kind === "partial" ? [206, range.start, range.end] : [200, 0, blob.size - 1];
  res.writeHead(status, {
    ...headers,
    "Content-Length": end - start + 1,
    ...(range.kind === "partial" ? { "Content-Range": `bytes ${start}-${end}/${blob.size}` } : {}),
  });
  try {
    if (end < start) res.end();
    else await sendRange(blob.read, res, start, end);
  } catch (err) {
    // A client that hangs up mid-download is routine, not a server error.
    if (!(err instanceof ClientGoneError) && !res.destroyed) throw err;
  } finally {
    await blob.close();
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
