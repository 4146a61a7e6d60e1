// /images/* endpoints.

import { PassThrough, type Readable } from "node:stream";
import { createGunzip, createZstdDecompress } from "node:zlib";
import { InvalidParameterError } from "../../engine/errors.ts";
import { listImages } from "../../engine/images/list.ts";
import { imageHistory, pruneImages } from "../../engine/images/maintenance.ts";
import type { ImageRecord, ImageService } from "../../engine/images/service.ts";
import { parseFilters } from "../../util/filters.ts";
import type { RequestContext } from "../context.ts";
import { compareVersions, type Route, route } from "../router.ts";

/** Import bodies may be gzip or zstd compressed, as with `docker import file.tar.gz`. */
async function decompressed(source: Readable): Promise<Readable> {
  const first = await new Promise<Buffer | null>((resolve, reject) => {
    const onReadable = () => {
      cleanup();
      resolve(source.read(4) ?? source.read());
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const cleanup = () => {
      source.off("readable", onReadable);
      source.off("end", onEnd);
      source.off("error", reject);
    };
    source.on("readable", onReadable);
    source.on("end", onEnd);
    source.on("error", reject);
  });
  const out = new PassThrough();
  if (first === null) {
    out.end();
    return out;
  }
  source.unshift(first);
  if (first[0] === 0x1f && first[1] === 0x8b) return source.pipe(createGunzip());
  if (first.length >= 4 && first.readUInt32LE(0) === 0xfd2fb528) return source.pipe(createZstdDecompress());
  return source;
}

/** Docker's ImageSummary; shared size and container count only where asked (df). */
export function imageSummary(
  images: ImageService,
  image: ImageRecord,
  labels: Record<string, string>,
  usage: { sharedSize: number; containers: number } = { sharedSize: -1, containers: -1 },
) {
  const tags = images.tagsOf(image.id);
  return {
    Containers: usage.containers,
    Created: Math.floor(Date.parse(image.created) / 1000),
    Id: image.id,
    // Docker answers null for an image without labels.
    Labels: Object.keys(labels).length > 0 ? labels : null,
    ParentId: image.parent ?? "",
    RepoDigests: images.repoDigestsOf(image),
    RepoTags: tags,
    SharedSize: usage.sharedSize,
    Size: image.size,
    VirtualSize: image.size,
  };
}

/** Streams a tar body; a failure midway cuts the response short (the client sees a bad tar). */
function sendTar(ctx: RequestContext, tar: Readable): void {
  const res = ctx.stream("application/x-tar");
  tar.on("error", () => res.destroy());
  tar.pipe(res);
}

/** `pull` serves the fromImage form of POST /images/create (see distribution.ts). */
export function imageRoutes(images: ImageService, pull?: (ctx: RequestContext) => Promise<void>): Route[] {
  const name = (ctx: RequestContext) => ctx.param(0);

  return [
    route("GET", "/images/json", async (ctx) => {
      const listed = await listImages(images, {
        all: ctx.bool("all"),
        filters: parseFilters(ctx.str("filters")),
      });
      // Before API 1.43 Docker names an untagged image "<none>:<none>" / "<none>@<none>".
      const useNone = compareVersions(ctx.version, "1.43") < 0;
      ctx.send(
        200,
        listed.map(({ image, labels, tags, repoDigests }) => {
          const summary = {
            ...imageSummary(images, image, labels),
            RepoTags: tags,
            RepoDigests: repoDigests,
          };
          if (useNone && tags.length === 0 && repoDigests.length === 0)
            return { ...summary, RepoTags: ["<none>:<none>"], RepoDigests: ["<none>@<none>"] };
          return summary;
        }),
      );
    }),

    route("POST", "/images/create", async (ctx) => {
      const fromSrc = ctx.str("fromSrc");
      if (fromSrc === undefined && pull) return pull(ctx);
      if (fromSrc === undefined) {
        const image = ctx.str("fromImage") ?? "";
        throw Object.assign(new Error(`pulling images is not supported by this wharfd yet: ${image}`), {
          status: 501,
        });
      }
      if (fromSrc !== "-")
        throw new InvalidParameterError("importing from a URL is not supported; send the tar as the body");
      let repo = ctx.str("repo") || undefined;
      let tag = ctx.str("tag") || undefined;
      if (repo && !tag) {
        // The docker CLI sends "name:tag" inside repo.
        const colon = repo.lastIndexOf(":");
        if (colon > repo.lastIndexOf("/")) {
          tag = repo.slice(colon + 1);
          repo = repo.slice(0, colon);
        }
      }
      const changes = ctx.query.getAll("changes").filter((c) => c !== "");
      const id = await images.importImage(await decompressed(ctx.req), {
        repo,
        tag,
        message: ctx.str("message"),
        changes,
      });
      const res = ctx.stream("application/json");
      res.end(`${JSON.stringify({ status: id })}\r\n`);
    }),

    route("GET", "/images/get", (ctx) => {
      const names = ctx.query.getAll("names").filter((n) => n !== "");
      if (names.length === 0) throw new InvalidParameterError("no image names given");
      sendTar(ctx, images.save(names));
    }),

    route("GET", "/images/{name*}/get", (ctx) => {
      sendTar(ctx, images.save([name(ctx)]));
    }),

    route("POST", "/images/load", async (ctx) => {
      // As Docker: always a 200 JSON stream; a load that fails (and stores nothing) ends it with
      // the error, which the docker CLI prints before exiting 1 and SDKs raise as a load error.
      let body: string;
      try {
        const lines = await images.load(ctx.req);
        body = lines.map((l) => `${JSON.stringify({ stream: `${l}\n` })}\r\n`).join("");
      } catch (err) {
        const message = (err as Error).message;
        body = `${JSON.stringify({ errorDetail: { message }, error: message })}\r\n`;
      }
      const res = ctx.stream("application/json");
      res.end(body);
    }),

    route("POST", "/images/prune", async (ctx) => {
      ctx.send(200, await pruneImages(images, parseFilters(ctx.str("filters"))));
    }),

    route("GET", "/images/{name*}/history", async (ctx) => {
      ctx.send(200, await imageHistory(images, name(ctx)));
    }),

    route("GET", "/images/{name*}/json", async (ctx) => {
      ctx.send(200, await images.inspect(name(ctx)));
    }),

    route("POST", "/images/{name*}/tag", (ctx) => {
      const repo = ctx.str("repo");
      if (!repo) throw new InvalidParameterError("repository name must have at least one component");
      images.tag(name(ctx), repo, ctx.str("tag") || undefined);
      ctx.send(201);
    }),

    route("DELETE", "/images/{name*}", async (ctx) => {
      ctx.send(
        200,
        await images.remove(name(ctx), { force: ctx.bool("force"), prune: !ctx.bool("noprune") }),
      );
    }),
  ];
}
