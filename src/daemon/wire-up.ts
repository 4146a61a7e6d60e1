// Builds the engine's services over one data root and the API router over them.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { attachRoutes } from "../api/handlers/attach.ts";
import { buildRoutes } from "../api/handlers/build.ts";
import { containerFileRoutes } from "../api/handlers/container-files.ts";
import { containerRoutes } from "../api/handlers/containers.ts";
import { diskUsageRoutes } from "../api/handlers/disk-usage.ts";
import { distributionRoutes, pullImage } from "../api/handlers/distribution.ts";
import { execRoutes } from "../api/handlers/exec.ts";
import { imageRoutes } from "../api/handlers/images.ts";
import { networkRoutes } from "../api/handlers/networks.ts";
import { observeRoutes } from "../api/handlers/observe.ts";
import { systemRoutes } from "../api/handlers/system.ts";
import { volumeRoutes } from "../api/handlers/volumes.ts";
import { Router } from "../api/router.ts";
import { createBuilder } from "../engine/build/setup.ts";
import { ContainerFiles } from "../engine/container-files.ts";
import { ContainerAttach } from "../engine/containers/attach.ts";
import { ExecService } from "../engine/containers/exec.ts";
import { HealthMonitor } from "../engine/containers/health.ts";
import { ContainerRepository } from "../engine/containers/record.ts";
import { ContainerService } from "../engine/containers/service.ts";
import { StatsService } from "../engine/containers/stats.ts";
import { ContainerControl } from "../engine/containers/update.ts";
import { ContentStore } from "../engine/content/store.ts";
import { EventBus } from "../engine/events/bus.ts";
import { createDistribution } from "../engine/images/distribution.ts";
import { ImageService } from "../engine/images/service.ts";
import { NetworkService } from "../engine/network/service.ts";
import { NetworkStore } from "../engine/network/store.ts";
import { Runtimes } from "../engine/runtime/runtimes.ts";
import { ALL_CAPABILITIES } from "../engine/runtime/spec.ts";
import { Snapshotter } from "../engine/snapshots/snapshotter.ts";
import { SystemService } from "../engine/system.ts";
import { VolumeRepository } from "../engine/volumes/repository.ts";
import { VolumeService } from "../engine/volumes/service.ts";
import { capabilityBoundingSet, cgroupLayout, hostFacts, hostHardLimits } from "../platform/host.ts";
import { Database } from "../store/db.ts";
import { writeFileAtomic } from "../util/fs-atomic.ts";
import { log } from "../util/log.ts";
import type { DaemonConfig } from "./config.ts";

export interface Engine {
  router: Router;
  containers: ContainerService;
  images: ImageService;
  events: EventBus;
  close(): Promise<void>;
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
  const volumes = new VolumeService({
    repo: new VolumeRepository(db),
    root: join(config.dataRoot, "volumes"),
    events,
  });
  await volumes.init();
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
  const hostCapabilities = ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
  const containerPaths = {
    containers: join(config.dataRoot, "containers"),
    exits: join(config.execRoot, "exits"),
    sockets: join(config.execRoot, "s"),
  };
  const containers = new ContainerService({
    repo: containerRepo,
    network,
    images,
    snapshots,
    volumes,
    runtimes,
    events,
    paths: containerPaths,
    defaults: {
      runtime: config.defaultRuntime,
      logSizeMax: config.logMaxSize,
      logDriver: config.logDriver,
      initPath: config.initPath,
      shmSize: config.shmSize,
    },
    cgroup,
    hardLimits: hostHardLimits(),
    capabilities: hostCapabilities,
  });
  await containers.init();
  const execs = new ExecService({
    containers,
    runtimes,
    paths: containerPaths,
    capabilities: hostCapabilities,
  });
  const health = new HealthMonitor(containers, execs);
  health.init(events);
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
    events,
    initPath: config.initPath,
    logDriver: config.logDriver,
    insecureRegistries: config.insecureRegistries,
    registryMirrors: config.registryMirrors,
    defaultAddressPools: config.defaultAddressPools,
  });
  const builder = await createBuilder({ db, images, containers, snapshots, dataRoot: config.dataRoot });
  const router = new Router();
  const control = new ContainerControl(containers, runtimes, cgroup);
  const distribution = createDistribution(config, { images, content, events });
  router.add(
    ...systemRoutes(system, events),
    ...attachRoutes(containers, new ContainerAttach(containers, containerPaths)),
    ...containerRoutes(containers),
    ...execRoutes(containers, execs),
    ...observeRoutes({
      containers,
      stats: new StatsService(containers, cgroup),
      control,
      cgroup,
    }),
    ...distributionRoutes(distribution),
    ...imageRoutes(images, (ctx) => pullImage(ctx, distribution)),
    ...volumeRoutes(volumes),
  );
  router.add(...networkRoutes(network));
  router.add(...buildRoutes(builder.builder, builder.tmpDir));
  router.add(...diskUsageRoutes(images, containers, volumes, () => builder.builder.cacheRecords()));
  router.add(
    ...containerFileRoutes(
      new ContainerFiles({
        containers: containers.repo,
        images,
        snapshots,
        lifecycle: {
          pause: (ref) => control.pause(ref),
          unpause: (ref) => control.unpause(ref),
          publish: (c, action, extra) => containers.publish(c, action, extra),
        },
      }),
    ),
  );
  return {
    router,
    containers,
    images,
    events,
    async close() {
      health.close();
      containers.close();
      await network.shutdown().catch((err: Error) => log.warn("network shutdown incomplete", { err }));
      network.close();
      db.close();
    },
  };
}
