// A minimal busybox root filesystem as a tar stream, built without any network from the
// host's static busybox: bin/busybox, one symlink per applet, passwd/group, tmp, root.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { Readable } from "node:stream";
import tar from "tar-stream";

export class BootstrapError extends Error {}

/** Checks that the binary exists and is static (a dynamic one would lack its libc in the image). */
export function checkBusybox(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new BootstrapError(
      `${path} not found: install the static busybox first (apt-get install busybox-static)`,
    );
  }
  const head = readFileSync(path).subarray(0, Math.min(size, 1 << 20));
  // A dynamic ELF names its interpreter ("/lib64/ld-linux…"); a static one has no PT_INTERP.
  if (head.includes(Buffer.from("/ld-linux")) || head.includes(Buffer.from("/ld-musl"))) {
    throw new BootstrapError(
      `${path} is dynamically linked: install busybox-static (apt-get install busybox-static)`,
    );
  }
}

/** The applet names `busybox --list` prints. */
export function busyboxApplets(path: string): string[] {
  const out = execFileSync(path, ["--list"], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && l !== "busybox" && !l.includes("/"));
}

const passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const group = "root:x:0:\nnobody:x:65534:\n";

/** The rootfs tar, streamed. */
export function busyboxRootfs(path: string): Readable {
  const binary = readFileSync(path);
  const applets = busyboxApplets(path);
  const pack = tar.pack();
  const mtime = new Date();
  const dir = (name: string, mode = 0o755) =>
    pack.entry({ name, type: "directory", mode, mtime, uid: 0, gid: 0 });
  const file = (name: string, content: Buffer | string, mode = 0o644) =>
    pack.entry({ name, type: "file", mode, mtime, uid: 0, gid: 0 }, content);
  for (const d of ["bin/", "dev/", "etc/", "proc/", "sys/", "usr/", "usr/bin/", "var/"]) dir(d);
  dir("root/", 0o700);
  dir("tmp/", 0o1777);
  file("bin/busybox", binary, 0o755);
  for (const applet of applets) {
    pack.entry({
      name: `bin/${applet}`,
      type: "symlink",
      linkname: "busybox",
      mode: 0o777,
      mtime,
      uid: 0,
      gid: 0,
    });
  }
  file("etc/passwd", passwd);
  file("etc/group", group);
  pack.finalize();
  return Readable.from(pack);
}
