// Resolves Docker's `User` setting ("", "1000", "nobody", "user:group", "1000:staff", …)
// against the image's /etc/passwd and /etc/group, with the rules of runc's libcontainer/user
// (what Docker uses): numeric ids need no entry, names must exist, the implicit form picks
// up supplementary groups from group membership.

import { constants } from "node:fs";
import { lstat, open, readlink } from "node:fs/promises";
import path from "node:path/posix";

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups (membership in the group file, then GroupAdd), without `gid`. */
  additionalGids: number[];
  home: string;
}

/** Docker-shaped error for a user or group that cannot be resolved. */
export class UserResolutionError extends Error {
  override name = "UserResolutionError";
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2147483647;

/**
 * Resolve `spec` ("user[:group]") against passwd/group file contents; null means the file
 * does not exist in the image. `groupAdd` is HostConfig.GroupAdd (names or numeric gids).
 */
export function resolveUser(
  spec: string,
  passwd: string | null,
  group: string | null,
  groupAdd: readonly string[] = [],
): ResolvedUser {
  const colon = spec.indexOf(":");
  const userArg = colon < 0 ? spec : spec.slice(0, colon);
  const groupArg = colon < 0 ? "" : spec.slice(colon + 1);
  const uidArg = parseId(userArg);
  const gidArg = parseId(groupArg);

  const result: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: "/" };
  const users = parsePasswd(passwd ?? "");
  const match = users.find((u) => {
    if (userArg === "") return u.uid === 0;
    if (uidArg !== null) return u.uid === uidArg;
    return u.name === userArg;
  });
  let matchedName = "";
  if (match) {
    matchedName = match.name;
    result.uid = match.uid;
    result.gid = match.gid;
    result.home = match.home;
  } else if (userArg !== "") {
    if (uidArg === null) {
      throw new UserResolutionError(`unable to find user ${userArg}: no matching entries in passwd file`);
    }
    result.uid = checkRange(uidArg);
  }

  if (groupArg !== "" || matchedName !== "") {
    const groups = parseGroup(group ?? "");
    if (groupArg !== "") {
      const g = groups.find((e) => (gidArg !== null ? e.gid === gidArg : e.name === groupArg));
      if (g) result.gid = g.gid;
      else if (gidArg === null) {
        throw new UserResolutionError(`unable to find group ${groupArg}: no matching entries in group file`);
      } else result.gid = checkRange(gidArg);
    } else {
      // Supplementary groups only come with the implicit form ("user", not "user:group").
      result.additionalGids = groups.filter((g) => g.members.includes(matchedName)).map((g) => g.gid);
    }
  }

  if (groupAdd.length > 0) {
    const groups = parseGroup(group ?? "");
    for (const ag of groupAdd) {
      const found = groups.find((g) => g.name === ag || String(g.gid) === ag);
      if (found) {
        result.additionalGids.push(found.gid);
        continue;
      }
      const gid = parseId(ag);
      if (gid === null)
        throw new UserResolutionError(`Unable to find group ${ag}: no matching entries in group file`);
      result.additionalGids.push(checkRange(gid));
    }
  }
  return result;
}

function parseId(s: string): number | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  return Number(s);
}

function checkRange(id: number): number {
  if (id < 0 || id > MAX_ID) throw new UserResolutionError(`uids and gids must be in range 0-${MAX_ID}`);
  return id;
}

/** Like Go's strconv.Atoi as runc uses it: a malformed number reads as 0. */
function atoi(s: string | undefined): number {
  return s !== undefined && /^[+-]?\d+$/.test(s) ? Number(s) : 0;
}

function recordLines(text: string): string[][] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => l.split(":"));
}

export function parsePasswd(text: string): PasswdEntry[] {
  return recordLines(text).map((f) => ({
    name: f[0] ?? "",
    uid: atoi(f[2]),
    gid: atoi(f[3]),
    home: f[5] ?? "",
  }));
}

export function parseGroup(text: string): GroupEntry[] {
  return recordLines(text).map((f) => ({
    name: f[0] ?? "",
    gid: atoi(f[2]),
    members: (f[3] ?? "").split(",").filter((m) => m !== ""),
  }));
}

const MAX_USER_FILE_BYTES = 4 * 1024 * 1024;
const MAX_SYMLINKS = 255;

/** Read the image's /etc/passwd and /etc/group, never following a link out of rootfs. */
export async function readUserFiles(
  rootfs: string,
): Promise<{ passwd: string | null; group: string | null }> {
  const [passwd, group] = await Promise.all([
    readFileInRoot(rootfs, "/etc/passwd"),
    readFileInRoot(rootfs, "/etc/group"),
  ]);
  return { passwd, group };
}

/**
 * Read `file` (a path inside the container) as the container would see it, with every
 * symlink resolved relative to rootfs; null when it does not exist or is not a regular file.
 */
export async function readFileInRoot(rootfs: string, file: string): Promise<string | null> {
  let hostPath: string;
  try {
    hostPath = path.join(rootfs, await resolveInRoot(rootfs, file));
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NOFOLLOW: if the last component was swapped for a link since resolution, fail.
    handle = await open(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return null;
    if (st.size > MAX_USER_FILE_BYTES)
      throw new Error(`${file} in the image is too large (${st.size} bytes)`);
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

/**
 * Resolve `file` component by component as if rootfs were "/": absolute link targets
 * restart at rootfs and ".." stops at it. Returns the resolved path relative to rootfs
 * (absolute, container view). Missing trailing components are kept as they are.
 */
export async function resolveInRoot(rootfs: string, file: string): Promise<string> {
  const pending = file.split("/").filter((c) => c !== "" && c !== ".");
  let current = "/";
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === "..") {
      current = path.dirname(current);
      continue;
    }
    const next = path.join(current, part);
    let isLink = false;
    try {
      isLink = (await lstat(path.join(rootfs, next))).isSymbolicLink();
    } catch (err) {
      if (!isMissing(err)) throw err;
      // The rest cannot exist: keep it for the caller's open to fail on.
      return path.join(next, ...pending);
    }
    if (!isLink) {
      current = next;
      continue;
    }
    if (++links > MAX_SYMLINKS) {
      throw Object.assign(new Error(`too many levels of symbolic links: ${file}`), { code: "ELOOP" });
    }
    const target = await readlink(path.join(rootfs, next));
    if (target.startsWith("/")) current = "/";
    pending.unshift(...target.split("/").filter((c) => c !== "" && c !== "."));
  }
  return current;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP" || code === "EISDIR";
}
