// A hijacked Docker API connection for tests (attach, exec start): the raw bytes both ways,
// as the docker CLI sees them after 101 UPGRADED.
import { connect, type Socket } from "node:net";

export interface HijackedConn {
  socket: Socket;
  /** The status line and headers of the response. */
  head: string;
  /** Everything received after the head until the connection ended. */
  rest(): Promise<Buffer>;
  /** Resolves once the received bytes satisfy `test` (or rejects after ms). */
  until(test: (received: Buffer) => boolean, ms?: number): Promise<Buffer>;
}

export function hijack(socketPath: string, path: string, body?: unknown): Promise<HijackedConn> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const payload = body === undefined ? "" : JSON.stringify(body);
    let buf = Buffer.alloc(0);
    let head: string | undefined;
    const waiters: Array<() => void> = [];
    let ended = false;
    socket.on("error", reject);
    socket.on("connect", () => {
      socket.write(
        [
          `POST ${path} HTTP/1.1`,
          "Host: api.moby.localhost",
          "Connection: Upgrade",
          "Upgrade: tcp",
          "Content-Type: application/json",
          `Content-Length: ${Buffer.byteLength(payload)}`,
          "",
          payload,
        ].join("\r\n"),
      );
    });
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (head === undefined) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        head = buf.subarray(0, end).toString("utf8");
        buf = buf.subarray(end + 4);
        resolve(conn(head));
      }
      for (const w of waiters.splice(0)) w();
    });
    socket.on("end", () => {
      ended = true;
      for (const w of waiters.splice(0)) w();
    });
    socket.on("close", () => {
      ended = true;
      for (const w of waiters.splice(0)) w();
    });
    const conn = (h: string): HijackedConn => ({
      socket,
      head: h,
      rest: () =>
        new Promise((res) => {
          const check = () => (ended ? res(buf) : waiters.push(check));
          check();
        }),
      until: (test, ms = 20_000) =>
        new Promise((res, rej) => {
          const timer = setTimeout(
            () => rej(new Error(`timed out; got ${JSON.stringify(buf.toString())}`)),
            ms,
          );
          const check = () => {
            if (test(buf)) {
              clearTimeout(timer);
              res(buf);
            } else if (ended) {
              clearTimeout(timer);
              rej(new Error(`connection ended; got ${JSON.stringify(buf.toString())}`));
            } else waiters.push(check);
          };
          check();
        }),
    });
  });
}
