// `wharf compose`: the compose-level flags (-f, -p, --env-file, --profile, --project-directory)
// and the subcommand table. Errors print as docker compose prints them and exit 1.
import { type CommandContext, describeError, StatusError, writeOut } from "../../cli/command.ts";
import { FlagError, type FlagSpec, parseFlags } from "../../cli/flags.ts";
import { commandHelp } from "../../cli/help.ts";
import { ConvertError } from "../convert.ts";
import { UnsupportedApiError } from "../engine.ts";
import { DependencyCycleError } from "../graph.ts";
import { InjectError } from "../inject.ts";
import type { ComposeCommand } from "./command.ts";
import { composeContext } from "./context.ts";
import { execCommand, runCommand } from "./exec-run.ts";
import { buildCommand, imagesCommand, pullCommand, pushCommand } from "./image-commands.ts";
import {
  killCommand,
  pauseCommand,
  restartCommand,
  rmCommand,
  startCommand,
  stopCommand,
  unpauseCommand,
} from "./lifecycle.ts";
import {
  configCommand,
  cpCommand,
  eventsCommand,
  lsCommand,
  portCommand,
  topCommand,
  versionCommand,
} from "./misc.ts";
import { logsCommand, psCommand } from "./ps-logs.ts";
import { createCommand, downCommand, upCommand } from "./up-down.ts";

export const composeFlags: FlagSpec[] = [
  { name: "file", short: "f", type: "stringArray", usage: "Compose configuration files" },
  { name: "project-name", short: "p", type: "string", usage: "Project name" },
  {
    name: "project-directory",
    type: "string",
    usage:
      "Specify an alternate working directory\n(default: the path of the, first specified, Compose file)",
  },
  { name: "env-file", type: "stringArray", usage: "Specify an alternate environment file" },
  { name: "profile", type: "stringArray", usage: "Specify a profile to enable" },
  {
    name: "ansi",
    type: "string",
    usage: 'Control when to print ANSI control characters ("never"|"always"|"auto")',
    default: "auto",
  },
  { name: "progress", type: "string", usage: "Set type of progress output (auto, tty, plain, json, quiet)" },
  { name: "parallel", type: "int", usage: "Control max parallelism, -1 for unlimited", default: "-1" },
  { name: "compatibility", usage: "Run compose in backward compatibility mode" },
  { name: "dry-run", usage: "Execute command in dry run mode" },
  { name: "help", short: "h", usage: "Print usage", hidden: true },
];

export const composeCommands: readonly ComposeCommand[] = [
  buildCommand,
  configCommand,
  cpCommand,
  createCommand,
  downCommand,
  eventsCommand,
  execCommand,
  imagesCommand,
  killCommand,
  logsCommand,
  lsCommand,
  pauseCommand,
  portCommand,
  psCommand,
  pullCommand,
  pushCommand,
  restartCommand,
  rmCommand,
  runCommand,
  startCommand,
  stopCommand,
  topCommand,
  unpauseCommand,
  upCommand,
  versionCommand,
];

function rootHelp(prog: string): string {
  const width = Math.max(...composeCommands.map((c) => c.name.length));
  const lines = [
    `Usage:  ${prog} compose [OPTIONS] COMMAND`,
    "",
    "Define and run multi-container applications with Docker",
    "",
    "Commands:",
    ...composeCommands.map((c) => `  ${c.name.padEnd(width + 2)}${c.description}`),
    "",
    `Run '${prog} compose COMMAND --help' for more information on a command.`,
    "",
  ];
  return lines.join("\n");
}

/** Errors a user can act on print as they are; daemon errors get docker's prefix. */
function message(err: unknown): string {
  if (
    err instanceof UnsupportedApiError ||
    err instanceof DependencyCycleError ||
    err instanceof ConvertError ||
    err instanceof InjectError
  )
    return err.message;
  return describeError(err);
}

/** Runs `wharf compose …`; resolves with the exit code. */
export async function composeCommand(args: readonly string[], cli: CommandContext): Promise<number> {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args, composeFlags, { interspersed: false });
  } catch (err) {
    if (err instanceof FlagError) throw new StatusError(`${err.message}\n\n${rootHelp(cli.prog)}`, 1);
    throw err;
  }
  const [name, ...rest] = parsed.args;
  if (!name || parsed.flags.bool("help")) {
    await writeOut(cli.streams.stdout, rootHelp(cli.prog));
    return 0;
  }
  const command = composeCommands.find((c) => c.name === name);
  if (!command) throw new StatusError(`unknown docker command: "compose ${name}"`, 1);
  const path = `${cli.prog} compose ${name}`;
  const specs: FlagSpec[] = [
    ...command.flags,
    {
      name: "help",
      short: command.flags.some((f) => f.short === "h") ? undefined : "h",
      usage: "Print usage",
      hidden: true,
    },
  ];
  let sub: ReturnType<typeof parseFlags>;
  try {
    // exec and run stop at the first positional after the service: the command keeps its flags.
    const interspersed = name !== "exec" && name !== "run";
    sub = parseFlags(rest, specs, { interspersed });
  } catch (err) {
    if (err instanceof FlagError) {
      throw new StatusError(
        `${err.message}\n\nUsage:  ${path} ${command.usage}\n\nRun '${path} --help' for more information`,
        1,
      );
    }
    throw err;
  }
  if (sub.flags.bool("help")) {
    await writeOut(
      cli.streams.stdout,
      commandHelp({ path, usage: command.usage, description: command.description, flags: specs }),
    );
    return 0;
  }
  const ctx = composeContext({ ...cli, path }, parsed.flags);
  try {
    return (await command.run(ctx, sub.flags, sub.args)) ?? 0;
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw new StatusError(message(err), 1);
  }
}
