// Remembers which digests the server is using or has just used (uploaded, linked, referenced
// by a pushed manifest, checked for existence). Garbage collection running inside the server
// consults it right before each deletion, in the same synchronous step as the delete, so a
// push racing the collector either sees its content deleted (and fails cleanly) or keeps it.
//
// A digest is held for as long as the request using it runs (a lease), and remembered with
// the time the lease ended, so "used since the collection started" covers requests that began
// before the collector did.
export class RetentionTracker {
  private readonly held = new Map<string, number>();
  private readonly lastUse = new Map<string, number>();
  private collecting = 0;

  /** A lease for one request; release it when the request is done. */
  lease(): RetentionLease {
    return new RetentionLease(this);
  }

  /** @internal */
  hold(digest: string, now: number): void {
    this.held.set(digest, (this.held.get(digest) ?? 0) + 1);
    this.lastUse.set(digest, now);
  }

  /** @internal */
  unhold(digest: string, now: number): void {
    const count = (this.held.get(digest) ?? 1) - 1;
    if (count <= 0) this.held.delete(digest);
    else this.held.set(digest, count);
    this.lastUse.set(digest, now);
  }

  retainedSince(digest: string, since: number): boolean {
    if (this.held.has(digest)) return true;
    const at = this.lastUse.get(digest);
    return at !== undefined && at >= since;
  }

  /** While a collection runs nothing is forgotten, so its window stays complete. */
  beginCollection(): void {
    this.collecting++;
  }

  endCollection(): void {
    this.collecting = Math.max(0, this.collecting - 1);
  }

  prune(olderThan: number): void {
    if (this.collecting > 0) return;
    for (const [digest, at] of this.lastUse) {
      if (at < olderThan && !this.held.has(digest)) this.lastUse.delete(digest);
    }
  }

  get size(): number {
    return this.lastUse.size;
  }
}

export class RetentionLease {
  private readonly tracker: RetentionTracker;
  private readonly digests = new Set<string>();
  private released = false;

  constructor(tracker: RetentionTracker) {
    this.tracker = tracker;
  }

  /** Must be called before the existence check that a write depends on. */
  retain(digest: string): void {
    if (this.released || this.digests.has(digest)) return;
    this.digests.add(digest);
    this.tracker.hold(digest, Date.now());
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const now = Date.now();
    for (const digest of this.digests) this.tracker.unhold(digest, now);
  }
}
