// What a command is, what it gets to run, and the errors that end it the way docker's do.
import type { Readable, Writable } from "node:stream";
import type { EngineClient } from "../client/engine-client.ts";
import { ApiError } from "../client/errors.ts";
import { FilterParseError, parseFilterArgs } from "../client/filters.ts";
import type { FlagSpec, ParsedFlags } from "./flags.ts";

export interface CliStreams {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown; fd?: number };
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable & { isTTY?: boolean };
}

export interface CommandContext {
  /** The program name, "wharf". */
  prog: string;
  /** The path the user typed, e.g. "wharf container ls". */
  path: string;
  streams: CliStreams;
  env: NodeJS.ProcessEnv;
  /** The daemon client, created on first use. */
  client(): EngineClient;
  /** The global --context and -H values (context commands show and resolve the current context). */
  contextChoice?: { contextFlag?: string; hosts: readonly string[] };
}

/** How many positional arguments a command takes (docker/cli's cli.RequiresMinArgs & co). */
export type ArgsRule = { none: true } | { exact: number } | { min: number; max?: number } | { max: number };

/** A command's behaviour; its names and description live in the command table (commands/index.ts). */
export interface Command {
  /** The arguments part of the usage line: "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  usage: string;
  flags: readonly FlagSpec[];
  /** false: flags end at the first positional (run, create, exec). */
  interspersed?: boolean;
  args?: ArgsRule;
  /** Extra help section. */
  extra?: string;
  /** Help text shown under the description, before the options (cobra's Long). */
  long?: string;
  /** Runs the command; the number is the exit code (0 when nothing is returned). */
  run(ctx: CommandContext, flags: ParsedFlags, args: string[]): Promise<number | undefined>;
}

/** An error with the exact text docker prints and the exit code it exits with. */
export class StatusError extends Error {
  readonly code: number;

  constructor(message: string, code: number) {
    super(message);
    this.code = code;
  }
}

/** The `--filter k=v` flags of a list command; a malformed one exits 125 as in docker. */
export function filterFlags(flags: ParsedFlags): Map<string, string[]> {
  try {
    return parseFilterArgs(flags.list("filter"));
  } catch (err) {
    if (err instanceof FilterParseError) throw new StatusError(err.message, 125);
    throw err;
  }
}

/** The error of a command that already printed what it had to say. */
export function exitWith(code: number): StatusError {
  return new StatusError("", code);
}

/** Waits until the stream has taken the data (keeps output ordered with exits and errors). */
export function writeOut(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/** Runs fn over each argument, printing each error on stderr as docker does for multi-target commands. */
export async function forEachArg(
  ctx: CommandContext,
  args: readonly string[],
  fn: (arg: string) => Promise<string | undefined>,
): Promise<number> {
  const errors: string[] = [];
  for (const arg of args) {
    try {
      const line = await fn(arg);
      if (line !== undefined) await writeOut(ctx.streams.stdout, `${line}\n`);
    } catch (err) {
      errors.push(describeError(err));
    }
  }
  if (errors.length > 0) {
    throw new StatusError(errors.join("\n"), 1);
  }
  return 0;
}

/** docker's text for an error: daemon errors get "Error response from daemon: ". */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return `Error response from daemon: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
