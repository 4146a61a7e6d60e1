// Extended attributes through attr's getfattr/setfattr (Node has no xattr API). Used for
// overlayfs markers such as trusted.overlay.opaque on layer and container upper directories.
import { CommandError, execFile, run } from "./exec.ts";

export async function setXattr(path: string, name: string, value: string): Promise<void> {
  await run("setfattr", ["-h", "-n", name, "-v", value, path]);
}

/** getfattr escapes unusual bytes in names as \ooo octal. */
function unescapeName(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(...Buffer.from(s[i] as string, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/**
 * Every path under `root` (not following symlinks) that carries the attribute `name`, with its
 * value; one process for the whole tree.
 */
export async function findXattr(root: string, name: string): Promise<Map<string, string>> {
  const pattern = `^${name.replace(/[.]/g, "\\.")}$`;
  // -h: a symlink's own attributes, never those of what it points at (maybe outside `root`).
  const out = await getfattrTree(["-R", "-P", "-h", "--absolute-names", "-m", pattern, "-d", root]);
  const found = new Map<string, string>();
  let current: string | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith("# file: ")) current = unescapeName(line.slice(8));
    else if (current && line.startsWith(`${name}=`)) {
      found.set(current, line.slice(name.length + 1).replace(/^"(.*)"$/, "$1"));
    }
  }
  return found;
}

/**
 * The attributes matching `pattern` (a getfattr regex) of every path under `root` (symlinks not
 * followed), values in setfattr's base64 form ("0s…") so binary ones (security.capability)
 * survive the round trip; one process for the whole tree.
 */
export async function dumpXattrs(root: string, pattern: string): Promise<Map<string, Map<string, string>>> {
  // -h: a symlink's own attributes, never those of what it points at (maybe outside `root`).
  const out = await getfattrTree([
    "-R",
    "-P",
    "-h",
    "--absolute-names",
    "-e",
    "base64",
    "-m",
    pattern,
    "-d",
    root,
  ]);
  const found = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of out.split("\n")) {
    if (line.startsWith("# file: ")) {
      current = new Map();
      found.set(unescapeName(line.slice(8)), current);
    } else if (current && line !== "") {
      const eq = line.indexOf("=");
      if (eq > 0) current.set(unescapeName(line.slice(0, eq)), line.slice(eq + 1));
    }
  }
  for (const [path, attrs] of found) if (attrs.size === 0) found.delete(path);
  return found;
}

/**
 * getfattr's output for a tree. It exits 1 when some entries (dangling symlinks, files removed
 * meanwhile) cannot be queried but still lists every one it could read: that is not a failure.
 */
async function getfattrTree(args: string[]): Promise<string> {
  const result = await execFile("getfattr", args);
  const onlyMissing = result.stderr
    .trim()
    .split("\n")
    .every((l) => l === "" || l.endsWith("No such file or directory"));
  if (result.code !== 0 && !(result.code === 1 && onlyMissing))
    throw new CommandError("getfattr", args, result);
  return result.stdout;
}
