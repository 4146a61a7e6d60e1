// Builds the engine's services over one data root and the API router over them.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { containerFileRoutes } from "../api/handlers/container-files.ts";
import { containerRoutes } from "../api/handlers/containers.ts";
import { diskUsageRoutes } from "../api/handlers/disk-usage.ts";
import { imageRoutes } from "../api/handlers/images.ts";
import { networkRoutes } from "../api/handlers/networks.ts";
import { systemRoutes } from "../api/handlers/system.ts";
import { Router } from "../api/router.ts";
import { ContainerFiles } from "../engine/container-files.ts";
import { ContainerRepository } from "../engine/containers/record.ts";
import { ContainerService } from "../engine/containers/service.ts";
import { ContentStore } from "../engine/content/store.ts";
import { EventBus } from "../engine/events/bus.ts";
import { ImageService } from "../engine/images/service.ts";
import { NetworkService } from "../engine/network/service.ts";
import { NetworkStore } from "../engine/network/store.ts";
import { Runtimes } from "../engine/runtime/runtimes.ts";
import { ALL_CAPABILITIES } from "../engine/runtime/spec.ts";
import { Snapshotter } from "../engine/snapshots/snapshotter.ts";
import { SystemService } from "../engine/system.ts";
import { capabilityBoundingSet, cgroupLayout, hostFacts, hostHardLimits } from "../platform/host.ts";
import { Database } from "../store/db.ts";
import { writeFileAtomic } from "../util/fs-atomic.ts";
import type { DaemonConfig } from "./config.ts";

export interface Engine {
  router: Router;
  containers: ContainerService;
  images: ImageService;
  events: EventBus;
  close(): void;
}

function daemonId(dataRoot: string): string {
  try {
    return readFileSync(join(dataRoot, "engine-id"), "utf8").trim();
  } catch {
    return "";
  }
}

export async function buildEngine(config: DaemonConfig): Promise<Engine> {
  await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  await mkdir(config.execRoot, { recursive: true, mode: 0o711 });
  let id = daemonId(config.dataRoot);
  if (!id) {
    id = randomUUID();
    await writeFileAtomic(join(config.dataRoot, "engine-id"), id);
  }
  const db = new Database(join(config.dataRoot, "wharf.db"));
  const events = new EventBus();
  const content = new ContentStore(join(config.dataRoot, "content"));
  await content.init();
  const snapshots = new Snapshotter(join(config.dataRoot, "snapshots"));
  await snapshots.init();
  const runtimes = new Runtimes(join(config.execRoot, "runtimes"));
  await runtimes.chooseDefault(config.defaultRuntime);
  const cgroup = cgroupLayout();
  const images = new ImageService(db, content, snapshots, events);
  const mask = capabilityBoundingSet();
  const containerRepo = new ContainerRepository(db);
  const network = new NetworkService({
    store: new NetworkStore(db),
    config: {
      bridge: config.bridge,
      bip: config.bip,
      defaultAddressPools: config.defaultAddressPools,
      iptables: config.iptables,
      ipForward: config.ipForward,
      mtu: config.mtu,
      netnsDir: join(config.execRoot, "netns"),
    },
    containers: {
      get: (ref) => containerRepo.get(ref),
      find: (ref) => containerRepo.find(ref),
      save: (c) => containerRepo.save(c as Parameters<ContainerRepository["save"]>[0]),
    },
    events,
  });
  await network.init((id) => containerRepo.find(id)?.state.Running === true);
  const containers = new ContainerService({
    repo: containerRepo,
    network,
    images,
    snapshots,
    runtimes,
    events,
    paths: {
      containers: join(config.dataRoot, "containers"),
      exits: join(config.execRoot, "exits"),
      sockets: join(config.execRoot, "s"),
    },
    defaults: {
      runtime: config.defaultRuntime,
      logSizeMax: config.logMaxSize,
      initPath: config.initPath,
      shmSize: config.shmSize,
    },
    cgroup,
    hardLimits: hostHardLimits(),
    capabilities: ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n),
  });
  await containers.init();
  // The image store's crash recovery: sweep what no row refers to (see engine/images/gc.ts).
  images.setContainerIds(() => containers.repo.all().map((c) => c.id));
  await images.collectGarbage(true);
  const system = new SystemService({
    containers,
    images,
    runtimes,
    host: hostFacts(),
    cgroup,
    dataRoot: config.dataRoot,
    daemonId: id,
    hostname: hostname(),
  });
  const router = new Router();
  router.add(...systemRoutes(system, events), ...containerRoutes(containers), ...imageRoutes(images));
  router.add(...networkRoutes(network));
  router.add(...diskUsageRoutes(images, containers));
  router.add(
    ...containerFileRoutes(new ContainerFiles({ containers: containers.repo, images, snapshots, runtimes })),
  );
  return {
    router,
    containers,
    images,
    events,
    close() {
      containers.close();
      network.close();
      db.close();
    },
  };
}
