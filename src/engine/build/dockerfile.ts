// The Dockerfile frontend: dockerfile-ast splits the file into instructions (directives, line
// continuations, comments, flags); this module groups them into stages and checks them the way
// Docker's parser does (unknown instructions, unknown flags, missing arguments).
import { type Instruction as AstInstruction, DockerfileParser, type Flag } from "dockerfile-ast";
import { type Heredoc, protectFdHeredocs, restoreFdHeredocs, splitHeredocs } from "./heredoc.ts";

export class DockerfileError extends Error {}

export interface Instruction {
  /** Upper-case keyword: RUN, COPY, … */
  keyword: string;
  /** The instruction as Docker prints it in "Step N/M : …" (continuations joined). */
  original: string;
  /** 1-based line number. */
  line: number;
  /** Leading `--name=value` flags (FROM, RUN, COPY, ADD, HEALTHCHECK). */
  flags: Map<string, string | null>;
  /** The arguments after the keyword and flags, continuations joined. */
  args: string;
  /** RUN --mount values, in order (the flag may repeat). */
  mounts?: string[];
  /** RUN/COPY/ADD here-documents (then `args` is the instruction line without their bodies). */
  heredocs?: Heredoc[];
  /** With heredocs: the arguments including the bodies (what a shell-form RUN hands to the shell). */
  source?: string;
}

export interface Stage {
  index: number;
  /** `AS name`, lower-cased as Docker does. */
  name?: string;
  /** Base image reference before variable expansion. */
  base: string;
  from: Instruction;
  steps: Instruction[];
}

export interface ParsedDockerfile {
  escapeChar: string;
  /** ARG instructions before the first FROM. */
  metaArgs: Instruction[];
  stages: Stage[];
}

const known = new Set([
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

/** Flags each instruction accepts (Docker refuses the others with "Unknown flag"). */
const allowedFlags: Record<string, string[]> = {
  FROM: ["platform"],
  RUN: ["mount", "network", "security"],
  COPY: ["from", "chown", "chmod", "link", "parents", "exclude"],
  ADD: ["chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"],
  HEALTHCHECK: ["interval", "timeout", "start-period", "start-interval", "retries"],
};

/** Flags only BuildKit implements: the classic builder refuses them, as Docker's does. */
const buildkitOnly = new Set(["network", "security", "parents", "exclude", "checksum", "keep-git-dir"]);

/** Instructions whose arguments may carry here-documents. */
const heredocKeywords = new Set(["RUN", "COPY", "ADD"]);

/** Instructions that need at least one argument. */
const needsArgs = new Set([...known].filter((k) => k !== "HEALTHCHECK"));

function originalText(text: string, escapeChar: string): string {
  const lines = text.split(/\r?\n/);
  let out = "";
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    // Comment and empty lines inside a continuation are dropped, as Docker's parser does.
    if (i > 0 && (/^\s*#/.test(line) || line.trim() === "")) continue;
    const trimmed = line.replace(/\s+$/, "");
    if (i < lines.length - 1 && trimmed.endsWith(escapeChar)) {
      line = trimmed.slice(0, -escapeChar.length);
    }
    out += line;
  }
  return out.trim();
}

function toInstruction(
  i: AstInstruction,
  escapeChar: string,
  fds: ReadonlyMap<number, string[]> = new Map(),
): Instruction {
  const keyword = i.getKeyword().toUpperCase();
  const line = i.getRange().start.line + 1;
  const markerFds = fds.get(line - 1);
  // The first line again as written (`3<<EOF`), where protectFdHeredocs took descriptors off.
  const firstLine = (text: string) => {
    if (!markerFds) return text;
    const [head, ...rest] = text.split("\n");
    return [restoreFdHeredocs(head as string, markerFds), ...rest].join("\n");
  };
  if (!known.has(keyword))
    throw new DockerfileError(
      `dockerfile parse error on line ${line}: unknown instruction: ${i.getInstruction().toUpperCase()}`,
    );
  const flags = new Map<string, string | null>();
  const mounts: string[] = [];
  const astFlags = (i as AstInstruction & { getFlags?: () => Flag[] }).getFlags?.() ?? [];
  for (const f of astFlags) {
    const name = f.getName();
    const allowed = allowedFlags[keyword] ?? [];
    if (!allowed.includes(name))
      throw new DockerfileError(`dockerfile parse error on line ${line}: Unknown flag: ${name}`);
    if (buildkitOnly.has(name))
      throw new DockerfileError(
        `dockerfile parse error on line ${line}: the --${name} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`,
      );
    flags.set(name, f.getValue());
    if (name === "mount") mounts.push(f.getValue() ?? "");
  }
  let args = firstLine((i.getArgumentsContent() ?? "").trim());
  let original = originalText(firstLine(i.getTextContent()), escapeChar);
  const split = heredocKeywords.has(keyword) ? splitHeredocs(args, line) : undefined;
  if (split) {
    const source = args;
    args = split.command;
    original = (firstLine(i.getTextContent()).split(/\r?\n/)[0] as string).trim();
    return {
      keyword,
      original,
      line,
      flags,
      args,
      heredocs: split.heredocs,
      source,
      ...(mounts.length ? { mounts } : {}),
    };
  }
  if (needsArgs.has(keyword) && args === "")
    throw new DockerfileError(
      `dockerfile parse error on line ${line}: ${keyword} requires at least one argument`,
    );
  return { keyword, original, line, flags, args, ...(mounts.length ? { mounts } : {}) };
}

/** Parses one instruction given as text (ONBUILD triggers). */
export function parseInstructionText(text: string): Instruction {
  const prepared = protectFdHeredocs(text);
  const df = DockerfileParser.parse(prepared.text);
  const first = df.getInstructions()[0];
  if (!first) throw new DockerfileError("empty instruction");
  return toInstruction(first, df.getEscapeCharacter(), prepared.fds);
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const prepared = protectFdHeredocs(text);
  const df = DockerfileParser.parse(prepared.text);
  const escapeChar = df.getEscapeCharacter();
  const metaArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ast of df.getInstructions()) {
    const ins = toInstruction(ast, escapeChar, prepared.fds);
    if (ins.keyword === "FROM") {
      const words = ins.args.split(/\s+/);
      let name: string | undefined;
      if (words.length === 3 && words[1]?.toUpperCase() === "AS") name = (words[2] as string).toLowerCase();
      else if (words.length !== 1)
        throw new DockerfileError(
          `dockerfile parse error on line ${ins.line}: FROM requires either one or three arguments`,
        );
      if (name !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(name))
        throw new DockerfileError(
          `invalid name for build stage: "${name}", name can't start with a number or contain symbols`,
        );
      if (name !== undefined && stages.some((s) => s.name === name))
        throw new DockerfileError(`duplicate name ${name}`);
      stages.push({ index: stages.length, name, base: words[0] as string, from: ins, steps: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (ins.keyword !== "ARG") throw new DockerfileError(`no build stage in current context`);
      metaArgs.push(ins);
      continue;
    }
    stage.steps.push(ins);
  }
  if (stages.length === 0) throw new DockerfileError("the Dockerfile (Dockerfile) cannot be empty");
  return { escapeChar, metaArgs, stages };
}

/** Docker's parseMaybeJSON: a JSON array of strings is the exec form, anything else the shell form. */
export function parseJsonOrShell(args: string): { exec: string[] } | { shell: string } {
  const trimmed = args.trim();
  if (trimmed.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === "string")) return { exec: parsed };
    } catch {
      // not JSON: shell form
    }
  }
  return { shell: trimmed };
}

/** Docker's parseWords: splits on whitespace outside quotes, keeping quotes and escapes. */
export function splitKeepingQuotes(text: string, escapeChar: string): string[] {
  const words: string[] = [];
  let word = "";
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === escapeChar && i + 1 < text.length && quote !== "'") {
      word += ch + text[++i];
      continue;
    }
    if (quote) {
      if (ch === quote) quote = undefined;
      word += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      word += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (word !== "") words.push(word);
      word = "";
      continue;
    }
    word += ch;
  }
  if (word !== "") words.push(word);
  return words;
}

/**
 * ENV / LABEL arguments: `k=v k2="v 2"` pairs, or the legacy `k v w` form (one key, the rest is
 * the value). Values keep their quotes here; substitution removes them.
 */
export function parseNameValues(keyword: string, args: string, escapeChar: string): Array<[string, string]> {
  const words = splitKeepingQuotes(args, escapeChar);
  const first = words[0] ?? "";
  if (!first.includes("=")) {
    if (keyword === "ARG") return words.map((w) => [w, ""]);
    const rest = args.trim().slice(first.length).trim();
    if (rest === "") throw new DockerfileError(`${keyword} names can not be blank`);
    return [[first, rest]];
  }
  return words.map((w) => {
    const eq = w.indexOf("=");
    if (eq < 0)
      throw new DockerfileError(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (eq === 0) throw new DockerfileError(`${keyword} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}
