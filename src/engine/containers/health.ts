// Health checks (moby daemon/health.go): Config.Healthcheck's test runs as an exec on the
// container's schedule; State.Health keeps the status, the failing streak and the last 5 probes;
// each status change is a `health_status: <status>` event.
import { formatGoDuration } from "../../util/go-duration.ts";
import type { HealthConfig } from "../../wire/containers.ts";
import { InvalidParameterError } from "../errors.ts";
import type { EventBus } from "../events/bus.ts";
import type { ExecService } from "./exec.ts";
import type { ContainerRecord } from "./record.ts";
import type { ContainerService } from "./service.ts";

export type HealthStatus = "starting" | "healthy" | "unhealthy";

export interface HealthResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthResult[];
}

const second = 1_000_000_000;
const defaults = { interval: 30 * second, timeout: 30 * second, startInterval: 5 * second, retries: 3 };
const maxLogEntries = 5;
const maxOutputBytes = 4096;

/** Docker's minimum for the health check's durations (nanoseconds): 1ms. */
const minimumDuration = 1_000_000;

/** Docker's create-time checks of Config.Healthcheck (a 400 with its message). */
export function validateHealthcheck(hc: HealthConfig | null | undefined): void {
  if (!hc) return;
  for (const field of ["Interval", "Timeout", "StartPeriod", "StartInterval"] as const) {
    const v = hc[field] ?? 0;
    if (v !== 0 && v < minimumDuration)
      throw new InvalidParameterError(`${field} in Healthcheck cannot be less than 1ms`);
  }
  if ((hc.Retries ?? 0) < 0) throw new InvalidParameterError("Retries in Healthcheck cannot be negative");
}

/** Docker's merge of a container's health check over the image's: unset fields come from the image. */
export function mergeHealthcheck(
  user: HealthConfig | null | undefined,
  image: HealthConfig | null | undefined,
): HealthConfig | undefined {
  if (!user) return image ?? undefined;
  if (!image) return user;
  return {
    ...user,
    Test: user.Test && user.Test.length > 0 ? user.Test : image.Test,
    Interval: user.Interval || image.Interval,
    Timeout: user.Timeout || image.Timeout,
    StartPeriod: user.StartPeriod || image.StartPeriod,
    StartInterval: user.StartInterval || image.StartInterval,
    Retries: user.Retries || image.Retries,
  };
}

/** The probe command, or undefined when the container has no (or a disabled) health check. */
export function probeCommand(hc: HealthConfig | null | undefined): string[] | undefined {
  const test = hc?.Test ?? [];
  switch (test[0]) {
    case "CMD":
      return test.length > 1 ? test.slice(1) : undefined;
    case "CMD-SHELL":
      return ["/bin/sh", "-c", test.slice(1).join(" ")];
    default:
      return undefined; // NONE, or nothing set
  }
}

/** The Health of a container record (kept in its state, so inspect and ps see it). */
export function healthOf(c: ContainerRecord): HealthState | undefined {
  return (c.state as { Health?: HealthState }).Health;
}

/** ps's STATUS suffix: " (healthy)", " (health: starting)", " (unhealthy)". */
export function healthSuffix(c: ContainerRecord): string {
  const h = healthOf(c);
  if (!h || !c.state.Running) return "";
  return h.Status === "starting" ? " (health: starting)" : ` (${h.Status})`;
}

/** ps's health filter: starting, healthy, unhealthy or none. */
export function healthMatches(c: ContainerRecord, want: string): boolean {
  const status = c.state.Running ? (healthOf(c)?.Status ?? "none") : "none";
  return status === want;
}

/** Applies one probe result (Docker's handleProbeResult); returns the status if it changed. */
export function recordProbe(
  h: HealthState,
  result: HealthResult,
  opts: { retries: number; inStartPeriod: boolean },
): HealthStatus | undefined {
  h.Log.push(result);
  if (h.Log.length > maxLogEntries) h.Log.splice(0, h.Log.length - maxLogEntries);
  const before = h.Status;
  if (result.ExitCode === 0) {
    h.FailingStreak = 0;
    h.Status = "healthy";
  } else if (!opts.inStartPeriod || before !== "starting") {
    // Failures during the start period do not count while the container has not been healthy.
    h.FailingStreak++;
    if (h.FailingStreak >= opts.retries) h.Status = "unhealthy";
  }
  return h.Status !== before ? h.Status : undefined;
}

export class HealthMonitor {
  private readonly containers: ContainerService;
  private readonly execs: ExecService;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private unsubscribe?: () => void;

  constructor(containers: ContainerService, execs: ExecService) {
    this.containers = containers;
    this.execs = execs;
  }

  /** Follows container starts and ends; picks up containers already running (re-adopted). */
  init(events: EventBus): void {
    this.unsubscribe = events.subscribe((e) => {
      if (e.Type !== "container") return;
      if (e.Action === "start") this.begin(e.Actor.ID, true);
      else if (e.Action === "die" || e.Action === "destroy") this.end(e.Actor.ID);
    });
    for (const c of this.containers.repo.all()) if (c.state.Running) this.begin(c.id, false);
  }

  close(): void {
    this.unsubscribe?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private begin(id: string, fresh: boolean): void {
    const c = this.containers.repo.find(id);
    if (!c || !probeCommand(c.config.Healthcheck)) return;
    const state = c.state as { Health?: HealthState };
    if (fresh || !state.Health) {
      state.Health = { Status: "starting", FailingStreak: 0, Log: [] };
      this.containers.repo.save(c);
    }
    this.schedule(c);
  }

  private end(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  private settings(c: ContainerRecord) {
    const hc = c.config.Healthcheck ?? {};
    return {
      interval: (hc.Interval || defaults.interval) / 1e6,
      timeout: (hc.Timeout || defaults.timeout) / 1e6,
      startPeriod: (hc.StartPeriod || 0) / 1e6,
      startInterval: (hc.StartInterval || defaults.startInterval) / 1e6,
      retries: hc.Retries || defaults.retries,
    };
  }

  private inStartPeriod(c: ContainerRecord): boolean {
    return Date.now() - Date.parse(c.state.StartedAt) < this.settings(c).startPeriod;
  }

  private schedule(c: ContainerRecord): void {
    this.end(c.id);
    const s = this.settings(c);
    const starting = healthOf(c)?.Status === "starting" && this.inStartPeriod(c);
    const delay = starting ? s.startInterval : s.interval;
    const timer = setTimeout(() => void this.probe(c.id), delay);
    timer.unref();
    this.timers.set(c.id, timer);
  }

  private async probe(id: string): Promise<void> {
    const c = this.containers.repo.find(id);
    if (!c?.state.Running) return;
    const cmd = probeCommand(c.config.Healthcheck);
    if (!cmd) return;
    if (!c.state.Paused) {
      const result = await this.run(c, cmd);
      const h = healthOf(c);
      // The container may have stopped meanwhile: such a probe is not recorded.
      if (h && c.state.Running && this.timers.has(id)) {
        const changed = recordProbe(h, result, {
          retries: this.settings(c).retries,
          inStartPeriod: this.inStartPeriod(c),
        });
        this.containers.repo.save(c);
        if (changed) this.containers.publish(c, `health_status: ${changed}`);
      }
    }
    if (this.timers.has(id) && c.state.Running) this.schedule(c);
  }

  /** One probe as an exec; a probe that outlives its timeout is killed and counted as failed. */
  private async run(c: ContainerRecord, cmd: string[]): Promise<HealthResult> {
    const start = new Date().toISOString();
    const s = this.settings(c);
    try {
      const { Id } = this.execs.create(c.id, {
        Cmd: cmd,
        AttachStdout: true,
        AttachStderr: true,
        Env: [],
      });
      const e = await this.execs.start(Id);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.execs.exited(e).then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), s.timeout);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        this.execs.kill(e);
        await this.execs.exited(e);
        await this.execs.release(e);
        this.execs.forget(e);
        return {
          Start: start,
          End: new Date().toISOString(),
          ExitCode: -1,
          Output: `Health check exceeded timeout (${formatGoDuration(s.timeout * 1e6)})`,
        };
      }
      const output = await this.execs.capturedOutput(e, maxOutputBytes);
      await this.execs.release(e);
      this.execs.forget(e);
      return { Start: start, End: new Date().toISOString(), ExitCode: e.exitCode ?? -1, Output: output };
    } catch (err) {
      return {
        Start: start,
        End: new Date().toISOString(),
        ExitCode: -1,
        Output: err instanceof Error ? err.message : String(err),
      };
    }
  }
}
