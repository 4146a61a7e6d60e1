// Blob uploads: POST /v2/<name>/blobs/uploads/ (monolithic with ?digest=, session start, or
// cross-repository mount), then GET (status), PATCH (chunk), PUT (close) and DELETE (cancel)
// on the session's location.
import { type Digest, parseDigest } from "../digest.ts";
import { RegistryError } from "../errors.ts";
import { isValidRepositoryName } from "../names.ts";
import type { UploadSession } from "../storage/upload-store.ts";
import type { HandlerContext } from "./context.ts";
import { parseContentRange, uploadRangeHeader } from "./ranges.ts";
import { hasBody, sendEmpty } from "./respond.ts";
import { escapeName } from "./router.ts";

export async function startUpload(ctx: HandlerContext, name: string): Promise<void> {
  const { query, storage } = ctx;
  const mount = query.get("mount");
  if (mount !== null) {
    const digest = parseDigest(mount);
    if (await tryMount(ctx, name, digest, query.get("from"))) return;
  }
  const digestParam = query.get("digest");
  if (digestParam !== null && mount === null) {
    // Single-request monolithic upload.
    const digest = parseDigest(digestParam);
    const session = await storage.uploads.create(name);
    await storage.uploads.withLock(session.id, async () => {
      try {
        const size = await storage.uploads.append(session, ctx.req, {
          ...contentRange(ctx),
          acknowledge: false,
        });
        await completeUpload(ctx, name, session, digest, size);
      } finally {
        await storage.uploads.remove(session.id);
      }
    });
    return;
  }
  const session = await storage.uploads.create(name);
  sendEmpty(ctx.res, 202, sessionHeaders(name, session.id, 0));
}

async function tryMount(
  ctx: HandlerContext,
  name: string,
  digest: Digest,
  from: string | null,
): Promise<boolean> {
  const { storage } = ctx;
  let available = false;
  if (from !== null) {
    available =
      isValidRepositoryName(from) &&
      ctx.auth.allows({ type: "repository", name: from, actions: ["pull"] }) &&
      (await storage.repositories.hasBlobLink(from, digest));
  } else if (ctx.options.mountWithoutSource) {
    ctx.retain(digest.value);
    available = (await storage.blobs.stat(digest)) !== undefined;
  }
  if (!available) return false;
  ctx.retain(digest.value);
  // Checked after retaining: a concurrent gc either sees the retention or already deleted it.
  if (!(await storage.blobs.stat(digest))) return false;
  await storage.repositories.linkBlob(name, digest);
  sendEmpty(ctx.res, 201, blobCreatedHeaders(name, digest));
  return true;
}

export async function getUploadStatus(ctx: HandlerContext, name: string, id: string): Promise<void> {
  const session = await requireSession(ctx, name, id);
  sendEmpty(ctx.res, 204, sessionHeaders(name, session.id, session.size));
}

export async function patchUpload(ctx: HandlerContext, name: string, id: string): Promise<void> {
  const { storage } = ctx;
  const range = contentRange(ctx);
  await storage.uploads.withLock(id, async () => {
    const session = await requireSession(ctx, name, id);
    try {
      const size = await storage.uploads.append(session, ctx.req, range);
      sendEmpty(ctx.res, 202, sessionHeaders(name, id, size));
    } catch (err) {
      if (err instanceof RegistryError && err.status === 416) {
        // Tell the client where to resume, as the spec's recovery flow expects.
        Object.assign(err.headers, sessionHeaders(name, id, session.size));
      }
      throw err;
    }
  });
}

export async function putUpload(ctx: HandlerContext, name: string, id: string): Promise<void> {
  const { storage, query } = ctx;
  const digestParam = query.get("digest");
  if (digestParam === null)
    throw new RegistryError("DIGEST_INVALID", "the digest query parameter is required");
  const digest = parseDigest(digestParam);
  const range = contentRange(ctx);
  await storage.uploads.withLock(id, async () => {
    const session = await requireSession(ctx, name, id);
    const size = hasBody(ctx.req)
      ? await storage.uploads.append(session, ctx.req, { ...range, acknowledge: false })
      : session.size;
    await completeUpload(ctx, name, session, digest, size);
  });
}

export async function cancelUpload(ctx: HandlerContext, name: string, id: string): Promise<void> {
  await ctx.storage.uploads.withLock(id, async () => {
    const session = await requireSession(ctx, name, id);
    await ctx.storage.uploads.remove(session.id);
  });
  sendEmpty(ctx.res, 204);
}

async function completeUpload(
  ctx: HandlerContext,
  name: string,
  session: UploadSession,
  digest: Digest,
  size: number,
): Promise<void> {
  const { storage } = ctx;
  ctx.retain(digest.value);
  await storage.uploads.complete(session, digest, size);
  await storage.repositories.linkBlob(name, digest);
  sendEmpty(ctx.res, 201, blobCreatedHeaders(name, digest));
}

async function requireSession(ctx: HandlerContext, name: string, id: string): Promise<UploadSession> {
  const session = await ctx.storage.uploads.get(name, id);
  if (!session) throw new RegistryError("BLOB_UPLOAD_UNKNOWN", undefined, { detail: { uuid: id } });
  return session;
}

function contentRange(ctx: HandlerContext): { start?: number; end?: number } {
  try {
    const range = parseContentRange(ctx.req.headers["content-range"]);
    return range ? { start: range.start, end: range.end } : {};
  } catch (err) {
    throw new RegistryError("BLOB_UPLOAD_INVALID", (err as Error).message);
  }
}

function sessionHeaders(name: string, id: string, size: number): Record<string, string> {
  return {
    Location: `/v2/${escapeName(name)}/blobs/uploads/${id}`,
    Range: uploadRangeHeader(size),
    "Docker-Upload-UUID": id,
  };
}

function blobCreatedHeaders(name: string, digest: Digest): Record<string, string> {
  return {
    Location: `/v2/${escapeName(name)}/blobs/${digest.value}`,
    "Docker-Content-Digest": digest.value,
  };
}
