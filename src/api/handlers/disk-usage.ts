// GET /system/df: images with shared vs unique sizes, containers with their rw sizes.
import type { BuildCacheRecord } from "../../engine/build/run-mounts.ts";
import type { ContainerService } from "../../engine/containers/service.ts";
import { InvalidParameterError } from "../../engine/errors.ts";
import { imageDiskUsage } from "../../engine/images/maintenance.ts";
import type { ImageService } from "../../engine/images/service.ts";
import type { VolumeService } from "../../engine/volumes/service.ts";
import { type Route, route } from "../router.ts";
import { imageSummary } from "./images.ts";

const types = ["container", "image", "volume", "build-cache"];

export function diskUsageRoutes(
  images: ImageService,
  containers: ContainerService,
  volumes: VolumeService,
  buildCache?: () => Promise<BuildCacheRecord[]>,
): Route[] {
  return [
    route("GET", "/system/df", async (ctx) => {
      const wanted = ctx.query.getAll("type");
      for (const t of wanted)
        if (!types.includes(t)) throw new InvalidParameterError(`unknown object type: ${t}`);
      const want = (t: string) => wanted.length === 0 || wanted.includes(t);
      const body: Record<string, unknown> = {};
      if (want("image")) {
        const usage = imageDiskUsage(images);
        body.LayersSize = usage.layersSize;
        body.Images = await Promise.all(
          usage.images.map(async (u) =>
            imageSummary(images, u.image, (await images.config(u.image.id)).config?.Labels ?? {}, u),
          ),
        );
      }
      if (want("container"))
        body.Containers = await containers.list({ all: true, size: true, filters: new Map() });
      if (want("volume")) body.Volumes = await volumes.usage();
      // The builder's RUN cache mounts (its step cache is images, counted above, as in Docker's
      // classic builder). BuilderSize: the older API's total of the same.
      if (want("build-cache")) {
        const records = (await buildCache?.()) ?? [];
        body.BuildCache = records.length ? records : null; // Docker sends null for none
        body.BuilderSize = records.reduce((n, r) => n + r.Size, 0);
      }
      ctx.send(200, body);
    }),
  ];
}
