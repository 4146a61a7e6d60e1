// Direct mount(2) through Node's FFI (node:ffi, Node 26), so the container start path does not
// spawn mount(8) (a fork+exec of util-linux, ~5–10 ms on a busy 2-core host). When FFI is
// unavailable (disabled, or a Node without it), callers fall back to the tool. errno is not
// read: a call that fails is retried through the tool, which reports the kernel's reason in words.
import type * as Ffi from "node:ffi";

export const MS_RDONLY = 1;

interface Libc {
  mount(source: string, target: string, fstype: string, flags: bigint, data: string): number;
}

let libc: Libc | null | undefined;

function load(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.env.WHARF_NO_FFI === "1") return libc;
  try {
    const ffi = process.getBuiltinModule("node:ffi") as typeof Ffi | undefined;
    if (!ffi) return libc;
    const { functions } = ffi.dlopen("libc.so.6", {
      mount: { arguments: ["string", "string", "string", "uint64", "string"], return: "int32" },
    });
    libc = functions as unknown as Libc;
  } catch {
    libc = null;
  }
  return libc;
}

/** mount(2): true when mounted, false when it failed, undefined when FFI is unavailable. */
export function sysMount(
  source: string,
  target: string,
  fstype: string,
  flags: number,
  data: string,
): boolean | undefined {
  const c = load();
  if (!c) return undefined;
  return c.mount(source, target, fstype, BigInt(flags), data) === 0;
}
