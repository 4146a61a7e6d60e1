// Patterns with Go's filepath.Match rules, for COPY/ADD sources (Docker's classic builder
// matches them against every path of the source) and `reference` filters (moby's FamiliarMatch):
// `*` and `?` match any characters but "/" (dotfiles included), `[...]`/`[^...]` are classes
// with ranges, `\` escapes. A pattern never spans more path segments than it has, so matching
// goes segment by segment.

export class BadPatternError extends Error {}

/** One segment's pattern as a RegExp anchored at both ends. */
export function segmentRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "\\") {
      i++;
      if (i >= pattern.length) throw new BadPatternError(`syntax error in pattern: ${pattern}`);
      out += escapeChar(pattern[i] as string);
    } else if (c === "[") {
      const end = classEnd(pattern, i);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith("^");
      if (negate) body = body.slice(1);
      if (body === "") throw new BadPatternError(`syntax error in pattern: ${pattern}`);
      out += `[${negate ? "^/" : ""}${classBody(body)}]`;
      i = end;
    } else out += escapeChar(c);
  }
  return new RegExp(`^${out}$`, "s");
}

/** A class body for a JS RegExp: ranges kept, `\x` a literal x, JS's class specials escaped. */
function classBody(body: string): string {
  let out = "";
  for (let j = 0; j < body.length; j++) {
    let ch = body[j] as string;
    let literal = false;
    if (ch === "\\") {
      j++;
      ch = body[j] as string;
      literal = true;
    }
    out += ch === "-" && !literal ? "-" : /[\]\\^[-]/.test(ch) ? `\\${ch}` : ch;
  }
  return out;
}

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function classEnd(pattern: string, start: number): number {
  for (let i = start + 1; i < pattern.length; i++) {
    if (pattern[i] === "\\") i++;
    else if (pattern[i] === "]" && i > start + 1) return i;
  }
  throw new BadPatternError(`syntax error in pattern: ${pattern}`);
}

/**
 * Go's filepath.Match of slash-separated relative paths, the pattern compiled once. A malformed
 * pattern matches nothing, as in Docker (its walk ignores Match's error).
 */
export function pathMatcher(pattern: string): (path: string) => boolean {
  const segments = compile(pattern);
  if (!segments) return () => false;
  return (path) => {
    const xs = path.split("/");
    return segments.length === xs.length && segments.every((re, i) => re.test(xs[i] as string));
  };
}

function compile(pattern: string): RegExp[] | undefined {
  try {
    return pattern.split("/").map(segmentRegExp);
  } catch (err) {
    if (err instanceof BadPatternError) return undefined;
    throw err;
  }
}

/**
 * The paths under a directory tree that match `pattern`, reading only the directories a match
 * can be in. `readdir` lists a directory (relative path, "." for the root); `isDir` says whether
 * a path is a directory one may descend into.
 */
export async function globSegments(
  pattern: string,
  readdir: (rel: string) => Promise<string[]>,
  isDir: (rel: string) => Promise<boolean>,
): Promise<string[]> {
  const segments = compile(pattern);
  const out: string[] = [];
  if (!segments) return out;
  const walk = async (rel: string, depth: number): Promise<void> => {
    const names = (await readdir(rel).catch(() => [])).sort();
    const re = segments[depth] as RegExp;
    for (const name of names) {
      if (!re.test(name)) continue;
      const child = rel === "." ? name : `${rel}/${name}`;
      if (depth === segments.length - 1) out.push(child);
      else if (await isDir(child)) await walk(child, depth + 1);
    }
  };
  await walk(".", 0);
  return out;
}
