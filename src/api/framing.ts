// Docker's stdcopy framing for non-TTY streams: an 8-byte header [stream, 0, 0, 0, size BE32]
// before each chunk; stream 0 = stdin, 1 = stdout, 2 = stderr.
export function muxFrame(stream: "stdin" | "stdout" | "stderr", data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream === "stdin" ? 0 : stream === "stdout" ? 1 : 2;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}
