// A compose subcommand: its usage, flags and behaviour (the table lives in main.ts).
import type { FlagSpec, ParsedFlags } from "../../cli/flags.ts";
import type { ComposeContext } from "./context.ts";

export interface ComposeCommand {
  name: string;
  usage: string;
  description: string;
  flags: readonly FlagSpec[];
  run(ctx: ComposeContext, flags: ParsedFlags, args: string[]): Promise<number | undefined>;
}

export const timeoutFlag: FlagSpec = {
  name: "timeout",
  short: "t",
  type: "int",
  usage: "Specify a shutdown timeout in seconds",
};

/** -t as a number, or undefined when not given (the container's own stop timeout applies). */
export function timeoutOf(flags: ParsedFlags): number | undefined {
  return flags.changed("timeout") ? flags.int("timeout") : undefined;
}
