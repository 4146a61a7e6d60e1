// The real docker CLI, run synchronously against a daemon's socket, for the compat tests.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before } from "node:test";
import { startDaemon, type TestDaemon } from "./daemon.ts";
import { busyboxTar } from "./images.ts";

export interface DockerResult {
  code: number | null;
  out: string;
  err: string;
}

/**
 * `docker -H unix://<socket> …args`. The socket is read at each call (the daemon starts in
 * before()). SIGKILL at the timeout: an attached `docker run` forwards SIGTERM to its container
 * and keeps running, and spawnSync would block the whole test process meanwhile.
 */
export function dockerAgainst(socket: () => string, timeoutMs = 60_000): (...args: string[]) => DockerResult {
  return (...args) => {
    const r = spawnSync("docker", ["-H", `unix://${socket()}`, ...args], {
      encoding: "utf8",
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
}

/**
 * For a compat suite (call inside describe): starts the daemon under test (or uses
 * WHARF_TEST_SOCKET's), imports busybox as `<prefix>-<pid>:latest` through the docker CLI, and
 * at the end removes the containers named through `track` and the image, even after a failure.
 */
export function useDockerDaemon(prefix: string): {
  docker: (...args: string[]) => DockerResult;
  image: string;
  /** `<name>-<pid>`, removed (with -f) in after(). */
  track: (name: string) => string;
  daemon: () => TestDaemon;
} {
  let d: TestDaemon | undefined;
  const image = `${prefix}-${process.pid}:latest`;
  const names: string[] = [];
  const docker = dockerAgainst(() => (d as TestDaemon).socket);
  before(async () => {
    d = await startDaemon();
    const imported = docker("import", "-c", 'CMD ["sh"]', await busyboxTar(), image);
    assert.equal(imported.code, 0, imported.err);
  });
  after(async () => {
    if (d) {
      for (const n of names) docker("rm", "-f", n);
      docker("rmi", "-f", image);
    }
    await d?.stop();
  });
  const track = (name: string) => {
    const full = `${name}-${process.pid}`;
    names.push(full);
    return full;
  };
  return { docker, image, track, daemon: () => d as TestDaemon };
}

/** Unix seconds now, as `docker events --since/--until` take them. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * The events from `since` (unix seconds) to now, through `docker events --filter … --format`,
 * one line each with trailing spaces dropped.
 */
export function pastEvents(
  docker: (...args: string[]) => DockerResult,
  since: number,
  filters: string[],
  format: string,
): string[] {
  const r = docker(
    "events",
    "--since",
    `${since}`,
    "--until",
    `${nowSeconds() + 1}`,
    ...filters.flatMap((f) => ["--filter", f]),
    "--format",
    format,
  );
  assert.equal(r.code, 0, r.err);
  return r.out
    .trimEnd()
    .split("\n")
    .map((line) => line.trimEnd());
}
