// GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>, by tag or by digest. Manifests are
// stored byte for byte and served with the media type they were pushed with.
import { type Digest, digestOf, looksLikeDigest, parseDigest } from "../digest.ts";
import { RegistryError, type RegistryErrorCode, RegistryErrors } from "../errors.ts";
import { parseManifest, referrerDescriptor } from "../manifest/parse.ts";
import type { Descriptor } from "../manifest/types.ts";
import { assertTag } from "../names.ts";
import type { RegistryStorage } from "../storage/registry-storage.ts";
import { blobInRepository } from "./blobs.ts";
import type { HandlerContext } from "./context.ts";
import { readBodyLimited, sendEmpty } from "./respond.ts";
import { escapeName } from "./router.ts";

type Reference = { tag: string; digest?: undefined } | { digest: Digest; tag?: undefined };

export function parseReference(reference: string): Reference {
  if (looksLikeDigest(reference)) return { digest: parseDigest(reference) };
  assertTag(reference);
  return { tag: reference };
}

/** 404 with NAME_UNKNOWN when the repository itself does not exist, else the given code. */
export async function notFound(
  storage: RegistryStorage,
  name: string,
  code: RegistryErrorCode,
  detail?: unknown,
): Promise<RegistryError> {
  if (!(await storage.repositories.exists(name))) {
    return new RegistryError("NAME_UNKNOWN", undefined, { detail: { name } });
  }
  return new RegistryError(code, undefined, { detail });
}

async function resolve(storage: RegistryStorage, name: string, ref: Reference): Promise<Digest> {
  if (ref.digest) return ref.digest;
  const digest = await storage.repositories.getTag(name, ref.tag);
  if (!digest) throw await notFound(storage, name, "MANIFEST_UNKNOWN", { tag: ref.tag });
  return digest;
}

export async function getManifest(ctx: HandlerContext, name: string, reference: string): Promise<void> {
  const { storage, req, res } = ctx;
  const digest = await resolve(storage, name, parseReference(reference));
  const info = await storage.repositories.getRevision(name, digest);
  const body = info ? await storage.blobs.read(digest) : undefined;
  if (!info || !body) throw await notFound(storage, name, "MANIFEST_UNKNOWN", { digest: digest.value });
  res.writeHead(200, {
    "Content-Type": info.mediaType,
    "Content-Length": body.length,
    "Docker-Content-Digest": digest.value,
    ETag: `"${digest.value}"`,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

export async function putManifest(ctx: HandlerContext, name: string, reference: string): Promise<void> {
  const { storage, req, res } = ctx;
  const ref = parseReference(reference);
  const body = await readBodyLimited(req, ctx.options.manifestMaxBytes);
  const digest = digestOf(body, ref.digest?.algorithm ?? "sha256");
  if (ref.digest && ref.digest.value !== digest.value) {
    throw new RegistryError("DIGEST_INVALID", `manifest content does not match ${ref.digest.value}`, {
      detail: { expected: ref.digest.value, actual: digest.value },
    });
  }
  const parsed = parseManifest(body, req.headers["content-type"]);
  // Retain first, check existence second: gc running alongside either keeps these or has
  // already removed them, in which case the check below fails the push cleanly.
  ctx.retain(digest.value);
  for (const d of [...parsed.blobs, ...parsed.manifests]) ctx.retain(d.digest);
  const missing = await missingReferences(ctx, name, parsed.blobs, parsed.manifests);
  if (missing.length > 0) {
    throw new RegistryErrors(
      missing.map(
        (d) =>
          new RegistryError("MANIFEST_BLOB_UNKNOWN", `manifest references unknown ${d.digest}`, {
            detail: { digest: d.digest },
          }),
      ),
    );
  }
  const subject = parsed.subject ? parseDigest(parsed.subject.digest) : undefined;
  await storage.blobs.writeBytes(digest, body);
  await storage.repositories.putRevision(name, digest, {
    mediaType: parsed.mediaType,
    size: body.length,
    ...(subject ? { subject: subject.value } : {}),
  });
  if (subject) {
    await storage.repositories.addReferrer(
      name,
      subject,
      digest,
      referrerDescriptor(parsed, digest.value, body.length),
    );
  }
  if (ref.tag !== undefined) await storage.repositories.setTag(name, ref.tag, digest);
  sendEmpty(res, 201, {
    Location: `/v2/${escapeName(name)}/manifests/${digest.value}`,
    "Docker-Content-Digest": digest.value,
    ...(subject ? { "OCI-Subject": subject.value } : {}),
  });
}

async function missingReferences(
  ctx: HandlerContext,
  name: string,
  blobs: Descriptor[],
  manifests: Descriptor[],
): Promise<Descriptor[]> {
  const { storage } = ctx;
  const missing: Descriptor[] = [];
  for (const d of blobs) {
    const digest = parseDigest(d.digest);
    const present = (await blobInRepository(ctx, name, digest)) && (await storage.blobs.stat(digest));
    if (!present) missing.push(d);
  }
  for (const d of manifests) {
    const digest = parseDigest(d.digest);
    const present =
      (await storage.repositories.getRevision(name, digest)) !== undefined &&
      (await storage.blobs.stat(digest)) !== undefined;
    if (!present) missing.push(d);
  }
  return missing;
}

export async function deleteManifest(ctx: HandlerContext, name: string, reference: string): Promise<void> {
  const { storage, res } = ctx;
  const ref = parseReference(reference);
  if (ref.tag !== undefined) {
    if (!(await storage.repositories.deleteTag(name, ref.tag))) {
      throw await notFound(storage, name, "MANIFEST_UNKNOWN", { tag: ref.tag });
    }
    sendEmpty(res, 202);
    return;
  }
  const digest = ref.digest;
  const info = await storage.repositories.getRevision(name, digest);
  if (!info) throw await notFound(storage, name, "MANIFEST_UNKNOWN", { digest: digest.value });
  for (const tag of await storage.repositories.tagsPointingTo(name, digest)) {
    await storage.repositories.deleteTag(name, tag);
  }
  if (info.subject) await storage.repositories.removeReferrer(name, parseDigest(info.subject), digest);
  await storage.repositories.deleteRevision(name, digest);
  sendEmpty(res, 202);
}
