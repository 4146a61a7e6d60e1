// Counts lines in a Docker log/attach stream: 8-byte frame headers [type,0,0,0,size BE32] then
// payload for non-TTY containers. Headers are skipped so their size bytes are never counted.
export class LineCounter {
  lines = 0;
  bytes = 0;
  private header = Buffer.alloc(8);
  private headerFill = 0;
  private payloadLeft = 0;

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, chunk.length - off);
        const part = chunk.subarray(off, off + take);
        for (let i = part.indexOf(10); i !== -1; i = part.indexOf(10, i + 1)) this.lines++;
        this.bytes += take;
        this.payloadLeft -= take;
        off += take;
        continue;
      }
      const take = Math.min(8 - this.headerFill, chunk.length - off);
      chunk.copy(this.header, this.headerFill, off, off + take);
      this.headerFill += take;
      off += take;
      if (this.headerFill === 8) {
        const type = this.header[0]!;
        if (type > 2 || this.header[1] !== 0 || this.header[2] !== 0 || this.header[3] !== 0) {
          throw new Error("log stream is not multiplexed (unexpected frame header)");
        }
        this.payloadLeft = this.header.readUInt32BE(4);
        this.headerFill = 0;
      }
    }
  }
}
