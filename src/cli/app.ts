// The `wharf` command line: global flags, the command tree, help, and docker's error output
// and exit codes (125 for usage errors caught by flag parsing, 1 for most others).
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ContextError, defaultContextName, resolveEndpoint } from "../client/contexts.ts";
import { EngineClient } from "../client/engine-client.ts";
import type { TlsOptions } from "../client/transport.ts";
import { cliVersion, prog } from "./build-info.ts";
import {
  type ArgsRule,
  type CliStreams,
  type CommandContext,
  describeError,
  StatusError,
  writeOut,
} from "./command.ts";
import { type CommandEntry, commands, groups, rootSections } from "./commands/index.ts";
import { FlagError, type FlagSpec, type ParsedFlags, parseFlags } from "./flags.ts";
import { commandHelp, groupHelp } from "./help.ts";

const configDir = join(homedir(), ".docker");

export const globalFlags: FlagSpec[] = [
  { name: "config", type: "string", usage: "Location of client config files", default: configDir },
  {
    name: "context",
    short: "c",
    type: "string",
    usage:
      'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")',
  },
  { name: "debug", short: "D", usage: "Enable debug mode" },
  { name: "help", short: "h", usage: "Print usage", hidden: true },
  { name: "host", short: "H", type: "list", usage: "Daemon socket to connect to" },
  {
    name: "log-level",
    short: "l",
    type: "string",
    usage: 'Set the logging level ("debug", "info", "warn", "error", "fatal")',
    default: "info",
  },
  { name: "tls", usage: "Use TLS; implied by --tlsverify" },
  {
    name: "tlscacert",
    type: "string",
    usage: "Trust certs signed only by this CA",
    default: join(configDir, "ca.pem"),
  },
  {
    name: "tlscert",
    type: "string",
    usage: "Path to TLS certificate file",
    default: join(configDir, "cert.pem"),
  },
  { name: "tlskey", type: "string", usage: "Path to TLS key file", default: join(configDir, "key.pem") },
  { name: "tlsverify", usage: "Use TLS and verify the remote" },
  { name: "version", short: "v", usage: "Print version information and quit" },
];

function rootHelp(): string {
  return groupHelp(
    {
      path: prog,
      description: "A self-sufficient runtime for containers",
      sections: rootSections(),
      flags: globalFlags,
      flagsTitle: "Global Options",
    },
    `${prog} [OPTIONS] COMMAND`,
  );
}

function tlsOptions(globals: ParsedFlags, env: NodeJS.ProcessEnv): TlsOptions | undefined {
  const verify = globals.changed("tlsverify") ? globals.bool("tlsverify") : !!env.DOCKER_TLS_VERIFY;
  if (!verify && !globals.bool("tls")) return undefined;
  const dir = env.DOCKER_CERT_PATH || configDir;
  const file = (flag: string, name: string) => {
    const path = globals.string(flag) ?? join(dir, name);
    return existsSync(path) ? readFileSync(path) : undefined;
  };
  return {
    ca: file("tlscacert", "ca.pem"),
    cert: file("tlscert", "cert.pem"),
    key: file("tlskey", "key.pem"),
    verify,
  };
}

function clientFactory(
  globals: ParsedFlags,
  env: NodeJS.ProcessEnv,
): { get: () => EngineClient; close: () => void } {
  let client: EngineClient | undefined;
  return {
    get: () => {
      if (client) return client;
      const hosts = globals.list("host");
      if (hosts.length > 1) {
        throw new StatusError(
          "Failed to initialize: unable to resolve docker endpoint: Specify only one -H",
          1,
        );
      }
      let endpoint: ReturnType<typeof resolveEndpoint>;
      try {
        endpoint = resolveEndpoint({ contextFlag: globals.string("context"), hosts }, env);
      } catch (err) {
        if (err instanceof ContextError) throw new StatusError(err.message, 1);
        throw err;
      }
      // A stored context brings its own TLS settings; the default one takes them from the flags.
      const tls = endpoint.contextName === defaultContextName ? tlsOptions(globals, env) : endpoint.tls;
      client = new EngineClient({ host: endpoint.host, env, tls });
      return client;
    },
    close: () => client?.close(),
  };
}

function usageError(path: string, usage: string, message: string, hint: "Run" | "See"): string {
  return `${message}\n\nUsage:  ${path}${usage ? ` ${usage}` : ""}\n\n${hint} '${path} --help' for more information`;
}

function plural(n: number): string {
  return n === 1 ? "argument" : "arguments";
}

/** docker/cli's cli.NoArgs / ExactArgs / RequiresMinArgs / RequiresMaxArgs / RequiresRangeArgs. */
function checkArgs(rule: ArgsRule | undefined, args: readonly string[], path: string, usage: string): void {
  if (!rule) return;
  const fail = (what: string, hint: "Run" | "See") => {
    throw new StatusError(usageError(path, usage, `${prog}: '${path}' ${what}`, hint), 1);
  };
  if ("none" in rule) {
    if (args.length > 0) fail("accepts no arguments", "Run");
  } else if ("exact" in rule) {
    if (args.length !== rule.exact) fail(`requires ${rule.exact} ${plural(rule.exact)}`, "Run");
  } else if ("min" in rule) {
    if (rule.max !== undefined && (args.length < rule.min || args.length > rule.max)) {
      fail(`requires at least ${rule.min} and at most ${rule.max} ${plural(rule.max)}`, "Run");
    }
    if (args.length < rule.min) fail(`requires at least ${rule.min} ${plural(rule.min)}`, "See");
  } else if (args.length > rule.max) {
    fail(`requires at most ${rule.max} ${plural(rule.max)}`, "Run");
  }
}

/** The help flag cobra adds: -h/--help, or only --help when the command uses -h itself. */
function withHelpFlag(flags: readonly FlagSpec[]): FlagSpec[] {
  if (flags.some((f) => f.name === "help")) return [...flags];
  const shortTaken = flags.some((f) => f.short === "h");
  return [
    ...flags,
    { name: "help", short: shortTaken ? undefined : "h", usage: "Print usage", hidden: true },
  ];
}

function findCommand(path: string): CommandEntry | undefined {
  return commands.find((c) => c.paths.includes(path));
}

async function runRegistry(args: string[]): Promise<number> {
  let mod: { registryCommand?: (args: string[]) => Promise<number> };
  try {
    mod = await import(new URL("../distribution/registry/cli.ts", import.meta.url).href);
  } catch (err) {
    throw new StatusError(`${prog}: the registry command is not available: ${(err as Error).message}`, 1);
  }
  if (typeof mod.registryCommand !== "function") {
    throw new StatusError(`${prog}: the registry command is not available`, 1);
  }
  return mod.registryCommand(args);
}

/** Runs one command line; resolves with the exit code. */
export async function runCli(
  argv: readonly string[],
  streams: CliStreams,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const factory = { close: () => {} };
  try {
    return await dispatch(argv, streams, env, factory);
  } catch (err) {
    if (err instanceof StatusError) {
      if (err.message) await writeOut(streams.stderr, `${err.message}\n`);
      return err.code;
    }
    await writeOut(streams.stderr, `${describeError(err)}\n`);
    return 1;
  } finally {
    factory.close();
  }
}

async function dispatch(
  argv: readonly string[],
  streams: CliStreams,
  envIn: NodeJS.ProcessEnv,
  factory: { close: () => void },
): Promise<number> {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv, globalFlags, { interspersed: false });
  } catch (err) {
    if (err instanceof FlagError) {
      throw new StatusError(usageError(prog, "[OPTIONS] COMMAND [ARG...]", err.message, "Run"), 125);
    }
    throw err;
  }
  const globals = parsed.flags;
  const rest = parsed.args;
  // --config points every config.json and context reader at another folder, as in docker.
  const env = globals.changed("config") ? { ...envIn, DOCKER_CONFIG: globals.string("config") } : envIn;
  if (globals.string("context") && globals.list("host").length > 0) {
    throw new StatusError("conflicting options: cannot specify both --host and --context", 1);
  }
  if (globals.bool("version")) {
    await writeOut(streams.stdout, `${prog} version ${cliVersion}\n`);
    return 0;
  }
  if (globals.bool("help") || rest.length === 0) {
    await writeOut(streams.stdout, rootHelp());
    return 0;
  }
  const [first, ...others] = rest as [string, ...string[]];
  if (first === "registry") return runRegistry(others);
  if (first === "compose") {
    // A client plugin like docker's compose: its own flags and subcommands (src/compose/).
    const clients = clientFactory(globals, env);
    factory.close = clients.close;
    const { composeCommand } = await import("../compose/cli/main.ts");
    return composeCommand(others, { prog, path: `${prog} compose`, streams, env, client: clients.get });
  }
  if (first === "help") {
    return dispatch(
      [...argv.slice(0, argv.length - rest.length), ...others, "--help"],
      streams,
      env,
      factory,
    );
  }

  let path = first;
  let cmdArgs = others;
  const group = groups[first];
  if (group) {
    const sub = others[0];
    const groupPath = `${prog} ${first}`;
    if (sub === undefined || sub === "--help" || sub === "-h") {
      await writeOut(
        streams.stdout,
        groupHelp(
          { path: groupPath, description: group.description, sections: group.sections() },
          `${groupPath} COMMAND`,
        ),
      );
      return 0;
    }
    if (sub.startsWith("-")) {
      throw new StatusError(usageError(groupPath, "", `unknown flag: ${sub}`, "Run"), 125);
    }
    path = `${first} ${sub}`;
    cmdArgs = others.slice(1);
    if (!findCommand(path)) {
      throw new StatusError(
        `${prog}: unknown command: ${prog} ${path}\n\nUsage:  ${groupPath}\n\nRun '${groupPath} --help' for more information`,
        1,
      );
    }
  }
  const entry = findCommand(path);
  if (!entry) {
    throw new StatusError(
      `${prog}: unknown command: ${prog} ${first}\n\nRun '${prog} --help' for more information`,
      1,
    );
  }
  const command = await entry.load();
  const fullPath = `${prog} ${path}`;
  const specs = withHelpFlag(command.flags);
  let result: ReturnType<typeof parseFlags>;
  try {
    result = parseFlags(cmdArgs, specs, { interspersed: command.interspersed ?? true });
  } catch (err) {
    if (err instanceof FlagError)
      throw new StatusError(usageError(fullPath, command.usage, err.message, "Run"), 125);
    throw err;
  }
  if (result.flags.bool("help")) {
    const aliases = entry.paths.length > 1 ? entry.paths.map((p) => `${prog} ${p}`) : undefined;
    await writeOut(
      streams.stdout,
      commandHelp({
        path: fullPath,
        usage: command.usage,
        description: command.long ? `${entry.description}\n\n${command.long}` : entry.description,
        aliases,
        flags: specs,
        extra: command.extra,
      }),
    );
    return 0;
  }
  checkArgs(command.args, result.args, fullPath, command.usage);

  const clients = clientFactory(globals, env);
  factory.close = clients.close;
  const contextChoice = { contextFlag: globals.string("context"), hosts: globals.list("host") };
  const ctx: CommandContext = { prog, path: fullPath, streams, env, client: clients.get, contextChoice };
  return (await command.run(ctx, result.flags, result.args)) ?? 0;
}
