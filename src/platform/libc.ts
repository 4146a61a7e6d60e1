// The C library's calls wharfd makes directly, through Node 26's node:ffi: mount(2) and
// posix_spawn(3) with what it needs. Loaded once; null where FFI is unavailable (an older Node,
// --no-experimental-ffi, or WHARF_NO_FFI=1), and then callers use the tools or libuv instead.
import type * as Ffi from "node:ffi";

export interface Libc {
  mount(source: string, target: string, fstype: string, flags: bigint, data: string): number;
  posix_spawnp(pid: Buffer, file: string, actions: Buffer, attr: Buffer, argv: Buffer, envp: Buffer): number;
  posix_spawn_file_actions_init(actions: Buffer): number;
  posix_spawn_file_actions_destroy(actions: Buffer): number;
  posix_spawn_file_actions_adddup2(actions: Buffer, fd: number, newFd: number): number;
  posix_spawn_file_actions_addopen(
    actions: Buffer,
    fd: number,
    path: string,
    flags: number,
    mode: number,
  ): number;
  posix_spawn_file_actions_addchdir_np(actions: Buffer, path: string): number;
  posix_spawnattr_init(attr: Buffer): number;
  posix_spawnattr_destroy(attr: Buffer): number;
  posix_spawnattr_setflags(attr: Buffer, flags: number): number;
  posix_spawnattr_setsigmask(attr: Buffer, set: Buffer): number;
  posix_spawnattr_setsigdefault(attr: Buffer, set: Buffer): number;
  sigemptyset(set: Buffer): number;
  sigfillset(set: Buffer): number;
  pipe2(fds: Buffer, flags: number): number;
  waitpid(pid: number, status: Buffer, options: number): number;
}

let ffi: typeof Ffi | undefined;
let loaded: Libc | null | undefined;

export function libc(): Libc | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.WHARF_NO_FFI === "1") return loaded;
  try {
    ffi = process.getBuiltinModule("node:ffi") as typeof Ffi | undefined;
    if (!ffi) return loaded;
    const b = "buffer" as const;
    const i = "int32" as const;
    const { functions } = ffi.dlopen("libc.so.6", {
      mount: { arguments: ["string", "string", "string", "uint64", "string"], return: i },
      posix_spawnp: { arguments: [b, "string", b, b, b, b], return: i },
      posix_spawn_file_actions_init: { arguments: [b], return: i },
      posix_spawn_file_actions_destroy: { arguments: [b], return: i },
      posix_spawn_file_actions_adddup2: { arguments: [b, i, i], return: i },
      posix_spawn_file_actions_addopen: { arguments: [b, i, "string", i, "uint32"], return: i },
      posix_spawn_file_actions_addchdir_np: { arguments: [b, "string"], return: i },
      posix_spawnattr_init: { arguments: [b], return: i },
      posix_spawnattr_destroy: { arguments: [b], return: i },
      posix_spawnattr_setflags: { arguments: [b, "int16"], return: i },
      posix_spawnattr_setsigmask: { arguments: [b, b], return: i },
      posix_spawnattr_setsigdefault: { arguments: [b, b], return: i },
      sigemptyset: { arguments: [b], return: i },
      sigfillset: { arguments: [b], return: i },
      pipe2: { arguments: [b, i], return: i },
      waitpid: { arguments: [i, b, i], return: i },
    });
    loaded = functions as unknown as Libc;
  } catch {
    loaded = null;
  }
  return loaded;
}

/** The address of a buffer's bytes, for building arrays of C pointers. */
export function addressOf(buffer: Buffer): bigint {
  return (ffi as typeof Ffi).getRawPointer(buffer);
}
