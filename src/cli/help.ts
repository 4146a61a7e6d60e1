// Help text in docker's layout (cobra's usage template as docker/cli customises it), with the
// flag table wrapped the way pflag's FlagUsagesWrapped does it.
import type { FlagSpec } from "./flags.ts";

/** pflag's wrapN: cut s at the last blank before column i, allowing `slop` overflow. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ""];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(" "), head.lastIndexOf("\t"), head.lastIndexOf("\n"));
  if (w <= 0) return [s, ""];
  const nl = head.lastIndexOf("\n");
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: text indented to column i, wrapped to width w. */
export function wrapText(i: number, w: number, s: string): string {
  if (w === 0) return s.replaceAll("\n", "\n" + " ".repeat(i));
  let width = w - i;
  let r = "";
  if (width < 24) {
    i = 16;
    width = w - i;
    r += "\n" + " ".repeat(i);
  }
  if (width < 24) return s.replaceAll("\n", r);
  const slop = 5;
  width -= slop;
  let [line, rest] = wrapN(width, slop, s);
  r += line.replaceAll("\n", "\n" + " ".repeat(i));
  while (rest !== "") {
    [line, rest] = wrapN(width, slop, rest);
    r += "\n" + " ".repeat(i) + line.replaceAll("\n", "\n" + " ".repeat(i));
  }
  return r;
}

/** The Options table, as `docker … --help` prints it for a terminal `cols` wide. */
export function flagUsages(flags: readonly FlagSpec[], cols: number): string {
  const lines: string[] = [];
  let maxlen = 0;
  const visible = [...flags].filter((f) => !f.hidden).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const f of visible) {
    let line = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    if (f.type) line += ` ${f.type}`;
    line += "\0";
    maxlen = Math.max(maxlen, line.length);
    line += f.usage;
    if (f.default !== undefined) {
      line += f.type === "string" ? ` (default ${JSON.stringify(f.default)})` : ` (default ${f.default})`;
    }
    lines.push(line);
  }
  return lines
    .map((line) => {
      const sidx = line.indexOf("\0");
      const spacing = " ".repeat(maxlen - sidx);
      return `${line.slice(0, sidx)} ${spacing} ${wrapText(maxlen + 2, cols, line.slice(sidx + 1))}`;
    })
    .join("\n");
}

/** Terminal width minus one, as docker's wrappedFlagUsages uses; 80 columns off a terminal. */
export function helpColumns(): number {
  const cols = process.stdout.isTTY ? process.stdout.columns : undefined;
  return (cols && cols > 0 ? cols : 80) - 1;
}

export interface CommandHelp {
  /** "wharf run" */
  path: string;
  usage: string;
  description: string;
  /** Every full path of the command ("wharf container run", "wharf run"), when more than one. */
  aliases?: readonly string[];
  flags: readonly FlagSpec[];
  /** Extra trailing section (examples). */
  extra?: string;
}

export function commandHelp(h: CommandHelp, cols = helpColumns()): string {
  let out = `Usage:  ${h.path}${h.usage ? ` ${h.usage}` : ""}\n\n${h.description}\n`;
  if (h.aliases && h.aliases.length > 1) out += `\nAliases:\n  ${h.aliases.join(", ")}\n`;
  const table = flagUsages(h.flags, cols).replace(/\s+$/, "");
  if (table) out += `\nOptions:\n${table}\n`;
  if (h.extra) out += `\n${h.extra.replace(/\n+$/, "")}\n`;
  return out;
}

export interface GroupHelp {
  path: string;
  description: string;
  sections: ReadonlyArray<{ title: string; commands: ReadonlyArray<{ name: string; description: string }> }>;
  flags?: readonly FlagSpec[];
  flagsTitle?: string;
  footer?: string;
}

export function groupHelp(h: GroupHelp, usageLine: string, cols = helpColumns()): string {
  let out = `Usage:  ${usageLine}\n\n${h.description}\n`;
  for (const section of h.sections) {
    if (section.commands.length === 0) continue;
    const width = Math.max(11, ...section.commands.map((c) => c.name.length + 1));
    out += `\n${section.title}:\n`;
    for (const c of section.commands) out += `  ${c.name.padEnd(width)} ${c.description}\n`;
  }
  if (h.flags) {
    const table = flagUsages(h.flags, cols).replace(/\s+$/, "");
    if (table) out += `\n${h.flagsTitle ?? "Options"}:\n${table}\n`;
  }
  out += `\nRun '${h.path} COMMAND --help' for more information on a command.\n`;
  if (h.footer) out += `\n${h.footer}\n`;
  return out;
}
