// Mounts for volumes of Docker's local driver: `mount -t TYPE -o O DEVICE TARGET`, as the local
// driver runs it (tmpfs volumes, bind-style volumes with o=bind, nfs, …).
import { readFileSync } from "node:fs";
import { run } from "./exec.ts";
import { isMounted, unmount } from "./mount.ts";

export async function mountDevice(opts: {
  type: string;
  device: string;
  options: string;
  target: string;
}): Promise<void> {
  const args = ["-t", opts.type];
  if (opts.options) args.push("-o", opts.options);
  args.push("--", opts.device, opts.target);
  await run("mount", args);
}

export { isMounted, unmount };

/** Mount points at or under `dir` (so a recursive delete never walks into another filesystem). */
export function mountsUnder(dir: string): string[] {
  const prefix = `${dir}/`;
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => (line.split(" ")[1] ?? "").replace(/\\040/g, " "))
    .filter((target) => target === dir || target.startsWith(prefix));
}
