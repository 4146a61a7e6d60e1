// Planning without a daemon: dependency order and cycles, container names and labels, config
// hashes that change only when the configuration does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ConvertContext, containerName, createRequest } from "../../../src/compose/convert.ts";
import { DependencyCycleError, dependencyGraph, inDependencyOrder } from "../../../src/compose/graph.ts";
import { serviceConfigHash } from "../../../src/compose/hash.ts";
import type { Project, ServiceConfig } from "../../../src/compose/model.ts";

function projectOf(services: Record<string, ServiceConfig>): Project {
  return {
    name: "demo",
    workingDir: "/srv/demo",
    configFiles: ["/srv/demo/compose.yaml"],
    services,
    disabledServices: {},
    networks: { default: { name: "demo_default" } },
    volumes: { data: { name: "demo_data" } },
    secrets: { token: { name: "demo_token", file: "/srv/demo/token" } },
    configs: {},
    environment: {},
    warnings: [],
  };
}

const dep = { condition: "service_started" as const, restart: false, required: true };

test("dependency cycles are named", () => {
  assert.throws(
    () =>
      dependencyGraph({
        a: { image: "x", depends_on: { b: dep } },
        b: { image: "x", depends_on: { c: dep } },
        c: { image: "x", depends_on: { a: dep } },
      }),
    (err: Error) =>
      err instanceof DependencyCycleError && err.message === "dependency cycle detected: a -> b -> c -> a",
  );
});

test("services run after their dependencies, independent ones together; reverse for stop", async () => {
  const graph = dependencyGraph({
    web: { image: "x", depends_on: { api: dep } },
    api: { image: "x", depends_on: { db: dep, cache: dep } },
    db: { image: "x" },
    cache: { image: "x" },
  });
  const log: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const fn = async (s: string) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise((r) => setImmediate(r));
    log.push(s);
    running--;
  };
  await inDependencyOrder(graph, new Set(graph.keys()), fn);
  assert.deepEqual(log.slice(2), ["api", "web"]);
  assert.deepEqual(log.slice(0, 2).sort(), ["cache", "db"]);
  assert.equal(maxRunning, 2, "db and cache ran side by side");
  log.length = 0;
  await inDependencyOrder(graph, new Set(graph.keys()), fn, true);
  assert.deepEqual(log.slice(0, 2), ["web", "api"]);
});

test("a failure stops dependents from starting", async () => {
  const graph = dependencyGraph({ a: { image: "x", depends_on: { b: dep } }, b: { image: "x" } });
  const ran: string[] = [];
  await assert.rejects(
    inDependencyOrder(graph, new Set(["a", "b"]), async (s) => {
      ran.push(s);
      if (s === "b") throw new Error("b failed");
    }),
    /b failed/,
  );
  assert.deepEqual(ran, ["b"]);
});

test("config hash ignores scale and replicas, follows everything else", () => {
  const base: ServiceConfig = { image: "busybox", command: ["sleep", "1"], deploy: { replicas: 1 } };
  const h = serviceConfigHash(base);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(serviceConfigHash({ ...base, scale: 3, deploy: { replicas: 5 } }), h);
  assert.equal(
    serviceConfigHash({ command: ["sleep", "1"], image: "busybox", deploy: { replicas: 2 } }),
    h,
    "key order does not matter",
  );
  assert.notEqual(serviceConfigHash({ ...base, command: ["sleep", "2"] }), h);
  assert.notEqual(serviceConfigHash({ ...base, environment: { A: "1" } }), h);
});

test("container names and compose labels", () => {
  const project = projectOf({
    web: {
      image: "busybox",
      command: ["httpd", "-f"],
      environment: { A: "1", UNSET: null },
      labels: { mine: "yes" },
      ports: [{ mode: "ingress", host_ip: "127.0.0.1", target: 80, published: "8080", protocol: "tcp" }],
      volumes: [
        { type: "volume", source: "data", target: "/data" },
        { type: "bind", source: "/host", target: "/h", read_only: true },
        { type: "volume", target: "/anon" },
        { type: "tmpfs", target: "/tmp", tmpfs: { size: 1024 } },
      ],
      secrets: [{ source: "token", target: "/run/secrets/token" }],
      networks: { default: { aliases: ["www"] } },
      depends_on: { db: { condition: "service_healthy", restart: true, required: true } },
      restart: "on-failure:3",
      healthcheck: { test: ["CMD", "true"], interval: "1s", retries: 2 },
      stop_grace_period: "3s",
    },
    db: { image: "db", container_name: "the-db" },
  });
  assert.equal(containerName(project, "web", 2), "demo-web-2");
  assert.equal(containerName(project, "db", 1), "the-db");
  const ctx: ConvertContext = {
    project,
    networks: true,
    configHash: "h123",
    oneoff: false,
    containerOf: (s) => `demo-${s}-1`,
  };
  const body = createRequest(ctx, "web", 2);
  assert.deepEqual(body.Labels, {
    mine: "yes",
    "com.docker.compose.project": "demo",
    "com.docker.compose.service": "web",
    "com.docker.compose.container-number": "2",
    "com.docker.compose.oneoff": "False",
    "com.docker.compose.config-hash": "h123",
    "com.docker.compose.project.working_dir": "/srv/demo",
    "com.docker.compose.project.config_files": "/srv/demo/compose.yaml",
    "com.docker.compose.version": "2.29.0",
    "com.docker.compose.depends_on": "db:service_healthy:true",
    "com.docker.compose.image": "busybox",
  });
  assert.deepEqual(body.Env, ["A=1"]);
  assert.deepEqual(body.Cmd, ["httpd", "-f"]);
  assert.deepEqual(body.ExposedPorts, { "80/tcp": {} });
  assert.deepEqual(body.Volumes, { "/anon": {} });
  assert.equal(body.StopTimeout, 3);
  assert.deepEqual(body.Healthcheck, { Test: ["CMD", "true"], Interval: 1e9, Retries: 2 });
  const hc = body.HostConfig ?? {};
  assert.deepEqual(hc.PortBindings, { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] });
  assert.deepEqual(hc.Binds, ["demo_data:/data:rw", "/host:/h:ro", "/srv/demo/token:/run/secrets/token:ro"]);
  assert.deepEqual(hc.Tmpfs, { "/tmp": "size=1024" });
  assert.deepEqual(hc.RestartPolicy, { Name: "on-failure", MaximumRetryCount: 3 });
  assert.equal(hc.NetworkMode, "demo_default");
  assert.deepEqual(body.NetworkingConfig, { EndpointsConfig: { demo_default: { Aliases: ["web", "www"] } } });
});

test("without a networks API containers go to the default network", () => {
  const project = projectOf({ web: { image: "busybox", networks: { default: null } } });
  const body = createRequest(
    { project, networks: false, configHash: "h", oneoff: true, containerOf: (s) => s },
    "web",
    1,
  );
  assert.equal(body.HostConfig?.NetworkMode, "default");
  assert.equal(body.NetworkingConfig, undefined);
  assert.equal(body.Labels?.["com.docker.compose.oneoff"], "True");
});
