// Restart policies as moby's restartmanager decides them: whether a container that exited is
// started again (at once, or when the daemon starts), and after what back-off.
import type { RestartPolicy } from "../../wire/containers.ts";

/** The first delay; it doubles per quick exit, up to a minute, as Docker's. */
export const firstBackoffMs = 100;
export const maxBackoffMs = 60_000;
/** A run at least this long resets the back-off to its first delay. */
const resetAfterRunMs = 10_000;

/** The delay before the next restart, from the previous delay (0: none yet) and the run's length. */
export function nextBackoff(previousMs: number, ranMs: number): number {
  const prev = ranMs >= resetAfterRunMs ? 0 : previousMs;
  if (prev === 0) return firstBackoffMs;
  return Math.min(prev * 2, maxBackoffMs);
}

export interface ExitFacts {
  exitCode: number;
  /** Stopped or killed through the API (Docker's HasBeenManuallyStopped). */
  manuallyStopped: boolean;
  /** Restarts so far (inspect's RestartCount). */
  restartCount: number;
}

/** Whether the policy restarts a container after this exit (Docker's ShouldRestart). */
export function policyRestarts(policy: RestartPolicy | undefined, facts: ExitFacts): boolean {
  switch (policy?.Name) {
    case "always":
      return true;
    case "unless-stopped":
      return !facts.manuallyStopped;
    case "on-failure": {
      const max = policy.MaximumRetryCount ?? 0;
      return facts.exitCode !== 0 && (max === 0 || facts.restartCount < max);
    }
    default:
      return false;
  }
}

/**
 * While the daemon runs, a manual stop cancels every policy (Docker cancels the restart
 * manager); when the daemon starts, a fresh decision is made, so `always` brings back even a
 * manually stopped container, and `on-failure` one that failed while the daemon was down.
 */
export function restartsAfterExit(policy: RestartPolicy | undefined, facts: ExitFacts): boolean {
  return !facts.manuallyStopped && policyRestarts(policy, facts);
}

export function restartsOnDaemonStart(
  policy: RestartPolicy | undefined,
  facts: ExitFacts & { startedBefore: boolean },
): boolean {
  return facts.startedBefore && policyRestarts(policy, facts);
}
