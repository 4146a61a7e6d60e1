// Client calls for exec, top, stats, pause/unpause and update, over EngineClient's generic
// JSON, stream and hijack calls.
import type { IncomingMessage } from "node:http";
import type { ExecCreateRequest, ExecInspect } from "../wire/exec.ts";
import { type EngineClient, encodePathName, type Hijacked } from "./engine-client.ts";

export function execCreate(
  client: EngineClient,
  container: string,
  config: ExecCreateRequest,
): Promise<{ Id: string }> {
  return client.json("POST", `/containers/${encodePathName(container)}/exec`, { body: config });
}

/** POST /exec/{id}/start hijacked (mux, raw for a TTY; stdin when the exec attaches it). */
export function execStartAttached(
  client: EngineClient,
  id: string,
  opts: { tty: boolean; consoleSize?: [number, number] },
): Promise<Hijacked> {
  return client.hijack("POST", `/exec/${encodePathName(id)}/start`, {
    body: { Detach: false, Tty: opts.tty, ...(opts.consoleSize ? { ConsoleSize: opts.consoleSize } : {}) },
  });
}

export function execStartDetached(client: EngineClient, id: string, tty: boolean): Promise<void> {
  return client.send("POST", `/exec/${encodePathName(id)}/start`, { body: { Detach: true, Tty: tty } });
}

export function execInspect(client: EngineClient, id: string): Promise<ExecInspect> {
  return client.json("GET", `/exec/${encodePathName(id)}/json`);
}

export function execResize(client: EngineClient, id: string, height: number, width: number): Promise<void> {
  return client.send("POST", `/exec/${encodePathName(id)}/resize`, { query: { h: height, w: width } });
}

export function containerTop(
  client: EngineClient,
  id: string,
  psArgs?: string,
): Promise<{ Titles: string[]; Processes: string[][] }> {
  return client.json("GET", `/containers/${encodePathName(id)}/top`, {
    query: { ps_args: psArgs || undefined },
  });
}

/** GET /stats: one document (stream=0) or a JSON-lines stream of them. */
export function containerStats(
  client: EngineClient,
  id: string,
  opts: { stream: boolean; signal?: AbortSignal },
): Promise<IncomingMessage> {
  return client.call("GET", `/containers/${encodePathName(id)}/stats`, {
    query: { stream: opts.stream ? "1" : "0" },
    signal: opts.signal,
  });
}

export function containerPause(client: EngineClient, id: string): Promise<void> {
  return client.send("POST", `/containers/${encodePathName(id)}/pause`);
}

export function containerUnpause(client: EngineClient, id: string): Promise<void> {
  return client.send("POST", `/containers/${encodePathName(id)}/unpause`);
}

export function containerUpdate(
  client: EngineClient,
  id: string,
  body: Record<string, unknown>,
): Promise<{ Warnings: string[] | null }> {
  return client.json("POST", `/containers/${encodePathName(id)}/update`, { body });
}
