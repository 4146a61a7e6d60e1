// One line per request, written when the response is done (or the client went away):
//   2026-01-02T03:04:05.678Z 127.0.0.1 alice "PUT /v2/app/manifests/1.0 HTTP/1.1" 201 0 12.3ms "skopeo/1.9.3"
import type { IncomingMessage, ServerResponse } from "node:http";

export type RequestLogger = (line: string) => void;

export interface RequestLogEntry {
  account?: string;
}

export function startRequestLog(
  log: RequestLogger,
  req: IncomingMessage,
  res: ServerResponse,
): RequestLogEntry {
  const entry: RequestLogEntry = {};
  const started = process.hrtime.bigint();
  const bytesBefore = req.socket.bytesWritten;
  res.once("close", () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const status = res.writableEnded ? String(res.statusCode) : `${res.statusCode}(aborted)`;
    const sent = Math.max(0, req.socket.bytesWritten - bytesBefore);
    const agent = JSON.stringify(req.headers["user-agent"] ?? "-");
    log(
      `${new Date().toISOString()} ${req.socket.remoteAddress ?? "-"} ${entry.account ?? "-"} ` +
        `"${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} ${sent} ${ms.toFixed(1)}ms ${agent}`,
    );
  });
  return entry;
}
