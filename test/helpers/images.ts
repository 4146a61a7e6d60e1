// Test images made on this machine: a busybox rootfs from the host's busybox-static, imported
// through the API like `docker import` (no registry needed).
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestApi } from "./api.ts";

let cachedTar: string | undefined;

export function busyboxTar(): string {
  if (cachedTar) return cachedTar;
  const dir = mkdtempSync(join(tmpdir(), "wharf-test-bb-"));
  const root = join(dir, "rootfs");
  for (const d of ["bin", "etc", "tmp", "root"]) mkdirSync(join(root, d), { recursive: true });
  copyFileSync("/bin/busybox", join(root, "bin/busybox"));
  execFileSync("chmod", ["755", join(root, "bin/busybox")]);
  for (const applet of execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" }).split("\n")) {
    if (applet && applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
  }
  writeFileSync(
    join(root, "etc/passwd"),
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
  );
  writeFileSync(join(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  execFileSync("chmod", ["1777", join(root, "tmp")]);
  const tar = join(dir, "busybox.tar");
  execFileSync("tar", ["-C", root, "-cf", tar, "."]);
  rmSync(root, { recursive: true, force: true });
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
      stream: createReadStream(busyboxTar()),
    },
  );
  if (res.status !== 200) throw new Error(`import failed: ${res.status} ${res.text()}`);
  return (JSON.parse(res.text().trim().split("\n").at(-1) as string) as { status: string }).status;
}
