// Builds the registry client, puller and pusher from the daemon's configuration.
import { RegistryClient } from "../../distribution/client/client.ts";
import { RegistryHosts } from "../../distribution/client/hosts.ts";
import type { ContentStore } from "../content/store.ts";
import type { EventBus } from "../events/bus.ts";
import { ImagePuller } from "./pull.ts";
import { ImageServicePullStore } from "./pull-store.ts";
import { BlobSources, ImagePusher } from "./push.ts";
import type { ImageService } from "./service.ts";

export interface DistributionConfig {
  insecureRegistries: string[];
  registryMirrors: string[];
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
}

/** Layers above this size are pushed in PATCH chunks of this size. */
const uploadChunkSize = 64 * 1024 * 1024;

export function createDistribution(
  config: DistributionConfig,
  deps: { images: ImageService; content: ContentStore; events: EventBus },
): { registry: RegistryClient; puller: ImagePuller; pusher: ImagePusher } {
  const registry = new RegistryClient(
    new RegistryHosts({ insecureRegistries: config.insecureRegistries, mirrors: config.registryMirrors }),
  );
  const sources = new BlobSources();
  const puller = new ImagePuller({
    registry,
    content: deps.content,
    store: new ImageServicePullStore(deps.images),
    events: deps.events,
    maxConcurrentDownloads: config.maxConcurrentDownloads,
    onBlobSource: (domain, path, digest) => sources.add(domain, path, digest),
  });
  const pusher = new ImagePusher({
    registry,
    content: deps.content,
    images: deps.images,
    events: deps.events,
    sources,
    maxConcurrentUploads: config.maxConcurrentUploads,
    chunkSize: uploadChunkSize,
  });
  return { registry, puller, pusher };
}
