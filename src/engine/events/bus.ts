// The event bus behind GET /events: live subscribers plus a bounded replay buffer for `since`.
import { type Filters, matchAny, matchLabels } from "../../util/filters.ts";

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

export interface EngineEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: EventActor;
  scope: "local";
  time: number;
  /** Exact nanoseconds since the epoch (beyond a JS number's precision; see eventJson). */
  timeNano: bigint;
}

/** An event as Docker puts it on the wire, timeNano as an exact integer. */
export function eventJson(e: EngineEvent): string {
  return JSON.stringify(e, (key, value) => (key === "timeNano" ? "@@timeNano@@" : value)).replace(
    '"@@timeNano@@"',
    e.timeNano.toString(),
  );
}

const bufferSize = 1024;

export class EventBus {
  private readonly buffer: EngineEvent[] = [];
  private readonly listeners = new Set<(e: EngineEvent) => void>();

  publish(e: { Type: string; Action: string; Actor: EventActor }): EngineEvent {
    const nowNs = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    const event: EngineEvent = {
      ...(e.Type === "container" ? { status: e.Action, id: e.Actor.ID, from: e.Actor.Attributes.image } : {}),
      Type: e.Type,
      Action: e.Action,
      Actor: e.Actor,
      scope: "local",
      time: Number(nowNs / 1_000_000_000n),
      timeNano: nowNs,
    };
    this.buffer.push(event);
    if (this.buffer.length > bufferSize) this.buffer.shift();
    for (const l of this.listeners) l(event);
    return event;
  }

  /** Buffered events with since <= time <= until (nanoseconds). */
  history(sinceNs: bigint, untilNs: bigint): EngineEvent[] {
    return this.buffer.filter((e) => e.timeNano >= sinceNs && e.timeNano <= untilNs);
  }

  private clients = 0;

  /** API clients streaming /events (Docker's NEventsListener); the daemon's own listeners are not counted. */
  get clientCount(): number {
    return this.clients;
  }

  subscribe(listener: (e: EngineEvent) => void, opts: { client?: boolean } = {}): () => void {
    this.listeners.add(listener);
    if (opts.client) this.clients++;
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.listeners.delete(listener);
      if (opts.client) this.clients--;
    };
  }
}

/** Docker's /events filters: type, event, container, image, label, network, volume, daemon, scope. */
export function eventMatches(e: EngineEvent, f: Filters): boolean {
  const attrs = e.Actor.Attributes;
  const action = e.Action.split(":")[0] ?? e.Action;
  return (
    matchAny(f.get("type"), (t) => t === e.Type) &&
    matchAny(f.get("event"), (a) => a === e.Action || a === action) &&
    matchAny(f.get("scope"), (s) => s === e.scope) &&
    matchAny(
      f.get("container"),
      (c) => e.Type === "container" && (e.Actor.ID.startsWith(c) || attrs.name === c),
    ) &&
    matchAny(
      f.get("image"),
      (i) => attrs.image === i || (e.Type === "image" && (e.Actor.ID === i || attrs.name === i)),
    ) &&
    matchAny(
      f.get("network"),
      (n) => e.Type === "network" && (e.Actor.ID.startsWith(n) || attrs.name === n),
    ) &&
    matchAny(f.get("volume"), (v) => e.Type === "volume" && e.Actor.ID === v) &&
    matchAny(f.get("daemon"), (d) => e.Type === "daemon" && (e.Actor.ID === d || attrs.name === d)) &&
    matchLabels(f.get("label"), attrs)
  );
}
