// Layer tars crafted in memory for image-store tests (including hostile ones).
import * as tarStream from "tar-stream";

export interface TarEntry {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "character-device" | "block-device" | "fifo";
  body?: string | Buffer;
  linkname?: string;
  mode?: number;
  devmajor?: number;
  devminor?: number;
  mtime?: Date;
}

/** Builds a tar in memory from `entries`, in order. */
export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on("data", (c: unknown) => chunks.push(c as Buffer));
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
  for (const e of entries) {
    const type = e.type ?? "file";
    const body = e.body === undefined ? undefined : Buffer.from(e.body);
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === "directory" ? 0o755 : 0o644),
      linkname: e.linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      mtime: e.mtime ?? new Date(1_700_000_000_000),
    };
    await new Promise<void>((resolve, reject) => {
      if (body) pack.entry({ ...header, size: body.length }, body, (err) => (err ? reject(err) : resolve()));
      else pack.entry({ ...header, size: 0 }, (err) => (err ? reject(err) : resolve())).end(Buffer.alloc(0));
    });
  }
  pack.finalize();
  return done;
}

export interface ListedEntry {
  name: string;
  type: string;
  linkname: string | null;
  mode: number;
  body: string;
}

/** Lists a tar's entries with their bodies (as UTF-8). */
export async function listTar(data: Buffer | NodeJS.ReadableStream): Promise<ListedEntry[]> {
  const extract = tarStream.extract();
  const out: ListedEntry[] = [];
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.push({
        name: entry.header.name,
        type: entry.header.type,
        linkname: entry.header.linkname ?? null,
        mode: entry.header.mode ?? 0,
        body: Buffer.concat(chunks).toString("utf8"),
      });
    }
  })();
  if (Buffer.isBuffer(data)) extract.end(data);
  else {
    for await (const c of data) {
      if (!extract.write(c as Buffer)) await new Promise<void>((r) => extract.once("drain", () => r()));
    }
    extract.end(Buffer.alloc(0));
  }
  await done;
  return out;
}
