// Here-documents in RUN, COPY and ADD, as Docker's Dockerfile frontend (syntax 1.4+) defines
// them: `<<EOF` / `<<-EOF` (tabs stripped) / `<<"EOF"` (no expansion) on the instruction line,
// bodies on the following lines, each ended by a line holding only its name.
import { DockerfileError } from "./dockerfile.ts";

export interface Heredoc {
  name: string;
  /** The body, each line ending in "\n"; leading tabs already stripped for `<<-`. */
  content: string;
  /** `<<-`: leading tabs stripped (the shell does it again when it sees the full text). */
  chomp: boolean;
  /** Unquoted name: variables in the body are expanded (COPY/ADD). */
  expand: boolean;
}

export interface HeredocSplit {
  /** The instruction line without the bodies (`cat <<EOF > /x`). */
  command: string;
  heredocs: Heredoc[];
}

const marker = /(?:^|\s)(\d*)<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\3(?=\s|$)/g;

/** Heredoc markers on one instruction line, in order. */
export function heredocMarkers(line: string): Array<Omit<Heredoc, "content"> & { token: string }> {
  return [...line.matchAll(marker)].map((m) => ({
    token: m[0].trim(),
    name: m[4] as string,
    chomp: m[2] === "-",
    expand: m[3] === "",
  }));
}

/**
 * Splits `args` (the instruction's arguments with their heredoc bodies, as dockerfile-ast
 * groups them) into the command line and the bodies. Undefined when there is no heredoc.
 */
export function splitHeredocs(args: string, line: number): HeredocSplit | undefined {
  const lines = args.split(/\r?\n/);
  const command = lines[0] as string;
  if (command.trimStart().startsWith("[")) return undefined; // exec form: no heredocs
  const markers = heredocMarkers(command);
  if (markers.length === 0) return undefined;
  const heredocs: Heredoc[] = [];
  let i = 1;
  for (const m of markers) {
    const body: string[] = [];
    let closed = false;
    for (; i < lines.length; i++) {
      const raw = lines[i] as string;
      const text = m.chomp ? raw.replace(/^\t+/, "") : raw;
      if (text === m.name) {
        closed = true;
        i++;
        break;
      }
      body.push(text);
    }
    if (!closed)
      throw new DockerfileError(`dockerfile parse error on line ${line}: unterminated heredoc ${m.name}`);
    heredocs.push({
      name: m.name,
      chomp: m.chomp,
      expand: m.expand,
      content: body.map((l) => `${l}\n`).join(""),
    });
  }
  return { command: command.trim(), heredocs };
}

/** `RUN <<EOF` alone: the body is the script, run as a file (not through `sh -c <text>`). */
export function isHeredocOnly(split: HeredocSplit): boolean {
  return split.heredocs.length === 1 && /^\d*<<-?["']?[A-Za-z_][A-Za-z0-9_.-]*["']?$/.test(split.command);
}

/** A here-document marker with a file descriptor in front (`3<<EOF`), on an instruction line. */
const fdMarker = /(^|\s)(\d+)<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\4(?=\s|$)/g;
const plainMarker = /(^|\s)<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\3(?=\s|$)/g;

/**
 * dockerfile-ast only knows `<<EOF`: given `3<<EOF` it leaves the body lines as instructions of
 * their own. The descriptors are taken off before parsing (each marker line keeps its list, in
 * marker order, "" for markers without one) and put back with `restoreFdHeredocs`.
 */
export function protectFdHeredocs(text: string): { text: string; fds: Map<number, string[]> } {
  const fds = new Map<number, string[]>();
  const lines = text.split("\n");
  for (const [n, line] of lines.entries()) {
    if (!/^\s*(RUN|COPY|ADD)\s/i.test(line) || !/\d<</.test(line)) continue;
    const all = [...line.matchAll(/(^|\s)(\d*)<<-?(["']?)[A-Za-z_][A-Za-z0-9_.-]*\3(?=\s|$)/g)];
    if (!all.some((m) => m[2])) continue;
    fds.set(
      n,
      all.map((m) => m[2] ?? ""),
    );
    lines[n] = line.replace(
      fdMarker,
      (_m, pre: string, _fd: string, dash: string, q: string, name: string) =>
        `${pre}<<${dash}${q}${name}${q}`,
    );
  }
  return { text: lines.join("\n"), fds };
}

/** Puts the descriptors of `protectFdHeredocs` back in front of the markers of `line`. */
export function restoreFdHeredocs(line: string, fds: readonly string[]): string {
  let k = 0;
  return line.replace(plainMarker, (m: string, pre: string) => {
    const fd = fds[k++] ?? "";
    return fd ? `${pre}${fd}${m.slice(pre.length)}` : m;
  });
}
