// One bench run at a time: each run has its own wharfd, but all share the reference dockerd,
// and every run resets it (all containers and images) after each group, under the other's
// samples. A pid file taken with O_EXCL; a dead owner's is stale.
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pidAlive } from "./proc.ts";

/** Takes the lock or throws naming the run that holds it; returns its release. */
export function acquireRunLock(runDir: string): () => void {
  mkdirSync(runDir, { recursive: true });
  const file = join(runDir, "bench.lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      return () => {
        try {
          if (readFileSync(file, "utf8").trim() === String(process.pid)) unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(file, "utf8").trim());
    } catch {
      continue; // released meanwhile
    }
    if (owner > 0 && owner !== process.pid && pidAlive(owner)) {
      throw new Error(`another bench run (pid ${owner}) is using ${runDir}: wait until it ends`);
    }
    try {
      unlinkSync(file); // left by a run that died
    } catch {
      // taken away meanwhile: try again
    }
  }
  throw new Error(`could not take ${file}`);
}
