// What every compose subcommand gets: the CLI context, the compose-level flags (-f, -p,
// --env-file, --profile, --project-directory) and the project they describe, loaded on demand.
import type { CommandContext } from "../../cli/command.ts";
import { writeOut } from "../../cli/command.ts";
import type { ParsedFlags } from "../../cli/flags.ts";
import { ComposeEngine } from "../engine.ts";
import { ProjectFileError } from "../loader/files.ts";
import { loadProject } from "../loader/load.ts";
import type { Project } from "../model.ts";
import { Progress } from "../progress.ts";

export interface ComposeContext {
  cli: CommandContext;
  globals: ParsedFlags;
  /** Loads the project; `services` named on the command line are enabled whatever their profiles. */
  project(services?: readonly string[], opts?: { interpolate?: boolean }): Promise<Project>;
  /** The project name without needing a compose file (-p or COMPOSE_PROJECT_NAME), else from the files. */
  projectName(): Promise<string>;
  /** The project when files exist, else undefined (down/ps/… by -p alone). */
  optionalProject(): Promise<Project | undefined>;
  engine(): ComposeEngine;
  progress: Progress;
}

async function readStdin(ctx: CommandContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.streams.stdin)
    chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

export function composeContext(cli: CommandContext, globals: ParsedFlags): ComposeContext {
  let engine: ComposeEngine | undefined;
  const progress = new Progress(cli.streams.stderr);
  const load = async (services: readonly string[] = [], opts: { interpolate?: boolean } = {}) => {
    const files = globals.list("file");
    const project = loadProject({
      files,
      projectName: globals.string("project-name"),
      projectDirectory: globals.string("project-directory"),
      envFiles: globals.list("env-file"),
      profiles: globals.list("profile"),
      services,
      env: cli.env,
      cwd: process.cwd(),
      stdinText: files.includes("-") ? await readStdin(cli) : undefined,
      interpolate: opts.interpolate,
    });
    for (const w of project.warnings) await writeOut(cli.streams.stderr, `WARN[0000] ${w}\n`);
    return project;
  };
  return {
    cli,
    globals,
    progress,
    project: load,
    async projectName() {
      const explicit = globals.string("project-name") ?? cli.env.COMPOSE_PROJECT_NAME;
      if (explicit) return explicit;
      return (await load()).name;
    },
    async optionalProject() {
      try {
        return await load();
      } catch (err) {
        if (err instanceof ProjectFileError && /no configuration file provided/.test(err.message)) {
          if (globals.string("project-name") ?? cli.env.COMPOSE_PROJECT_NAME) return undefined;
        }
        throw err;
      }
    },
    engine() {
      engine ??= new ComposeEngine(cli.client());
      return engine;
    },
  };
}
