// Test images made on this machine: the busybox rootfs that `wharf image bootstrap` builds from
// the host's busybox-static, imported through the API like `docker import` (no registry needed).
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { busyboxRootfs } from "../../src/cli/bootstrap/busybox-rootfs.ts";
import type { TestApi } from "./api.ts";

let cachedTar: string | undefined;

/** The rootfs tar `wharf image bootstrap busybox` imports, written once to a temp file. */
export async function busyboxTar(): Promise<string> {
  if (cachedTar) return cachedTar;
  const dir = mkdtempSync(join(tmpdir(), "wharf-test-bb-"));
  const tar = join(dir, "busybox.tar");
  await pipeline(busyboxRootfs("/bin/busybox"), createWriteStream(tar));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  cachedTar = tar;
  return tar;
}

/** Imports busybox as `ref` (default busybox:latest); returns the image ID. */
export async function importBusybox(api: TestApi, ref = "busybox:latest"): Promise<string> {
  const res = await api.call(
    "POST",
    `/images/create?fromSrc=-&repo=${encodeURIComponent(ref)}&changes=${encodeURIComponent('CMD ["sh"]')}`,
    undefined,
    {
      headers: { "Content-Type": "application/x-tar" },
      stream: createReadStream(await busyboxTar()),
    },
  );
  if (res.status !== 200) throw new Error(`import failed: ${res.status} ${res.text()}`);
  return (JSON.parse(res.text().trim().split("\n").at(-1) as string) as { status: string }).status;
}
