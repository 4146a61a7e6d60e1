// context ls / create / use / show / inspect / rm / update: docker's commands over docker's own
// context store (src/client/contexts.ts), so contexts made by either CLI work in both.
import { readFileSync, writeFileSync } from "node:fs";
import {
  type ContextChoice,
  ContextError,
  type ContextMeta,
  ContextStore,
  currentContextName,
  type DockerEndpointMeta,
  defaultContext,
  defaultContextName,
  hostFromEnv,
  type TlsFiles,
  validateContextName,
  validateTlsFiles,
} from "../../client/contexts.ts";
import { prog } from "../build-info.ts";
import { type Command, type CommandContext, StatusError, writeOut } from "../command.ts";
import { formatUsage, formatUsageNoTable } from "../container-flags.ts";
import { type FlagSpec, parseGoBool } from "../flags.ts";
import { ellipsis } from "../format/text.ts";
import { printInspected } from "./inspect.ts";

const store = (ctx: CommandContext) => ContextStore.fromEnv(ctx.env);

function choice(ctx: CommandContext): ContextChoice {
  return ctx.contextChoice ?? { hosts: [] };
}

/** ContextError (docker's own text) becomes an exit-1 error; anything else passes through. */
function asStatus<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ContextError) throw new StatusError(err.message, 1);
    throw err;
  }
}

/** The context by name, "default" being the built-in one. */
function lookup(ctx: CommandContext, s: ContextStore, name: string): ContextMeta {
  if (name === defaultContextName) return defaultContext(ctx.env, choice(ctx).hosts[0]);
  return s.get(name);
}

/** docker's warning when WHARF_HOST/DOCKER_HOST hides the context the user picked. */
async function warnHostOverride(ctx: CommandContext, name?: string): Promise<void> {
  const v = hostFromEnv(ctx.env);
  if (!v) return;
  const target = name ? `"${name}"` : "a context";
  await writeOut(
    ctx.streams.stderr,
    `Warning: ${v.name} environment variable overrides the active context. To use ${target}, either set the global --context flag, or unset ${v.name} environment variable.\n`,
  );
}

interface LsRow {
  Name: string;
  Description: string;
  DockerEndpoint: string;
  Current: boolean;
  Error: string;
}

const lsHeaders = {
  Name: "NAME",
  Description: "DESCRIPTION",
  DockerEndpoint: "DOCKER ENDPOINT",
  Error: "ERROR",
};

export const contextLsCommand: Command = {
  usage: "[OPTIONS]",
  flags: [
    { name: "format", type: "string", usage: formatUsage },
    { name: "quiet", short: "q", usage: "Only show context names" },
  ],
  args: { none: true },
  async run(ctx, flags) {
    const s = store(ctx);
    const current = asStatus(() => currentContextName(choice(ctx), ctx.env, s));
    const metas = asStatus(() => s.list());
    const rows: LsRow[] = [defaultContext(ctx.env, choice(ctx).hosts[0]), ...metas].map((m) => ({
      Name: m.Name,
      Description: m.Metadata.Description ?? "",
      DockerEndpoint: m.Endpoints.docker?.Host ?? "",
      Current: m.Name === current,
      Error: "",
    }));
    if (!rows.some((r) => r.Current)) {
      // The current context is gone: docker lists it with the error instead of failing.
      let error = "";
      try {
        s.get(current);
      } catch (err) {
        error = (err as Error).message;
      }
      rows.push({
        Name: current,
        Description: "",
        DockerEndpoint: "",
        Current: true,
        Error: ellipsis(error, 45),
      });
    }
    rows.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    const { formatRows } = await import("../format/table.ts");
    const out = formatRows(
      flags.string("format"),
      "table {{.Name}}{{if .Current}} *{{end}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}",
      lsHeaders,
      rows,
      { quiet: flags.bool("quiet"), quietFormat: "{{.Name}}" },
    );
    await writeOut(ctx.streams.stdout, out);
    await warnHostOverride(ctx);
    return 0;
  },
};

/** The parsed `--docker k=v,k=v` flag: the endpoint and the TLS files it names. */
interface DockerEndpointSpec {
  endpoint: DockerEndpointMeta;
  tls: TlsFiles;
}

/** pflag's stringToString: comma-separated key=value pairs (checked by the flag), repeatable. */
function parseKv(values: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    for (const pair of v.split(",")) {
      const eq = pair.indexOf("=");
      if (eq > 0) out.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return out;
}

/** docker/cli's getDockerEndpointMetadataAndTLS. */
function dockerEndpoint(ctx: CommandContext, s: ContextStore, values: readonly string[]): DockerEndpointSpec {
  const kv = parseKv(values);
  const fail = (msg: string): never => {
    throw new StatusError(`unable to create docker endpoint config: ${msg}`, 1);
  };
  const known = ["from", "host", "ca", "cert", "key", "skip-tls-verify"];
  for (const k of kv.keys()) if (!known.includes(k)) fail(`unrecognized config key: ${k}`);
  const from = kv.get("from");
  if (from !== undefined) {
    const source = asStatus(() => lookup(ctx, s, from));
    const ep = source.Endpoints.docker ?? { Host: "", SkipTLSVerify: false };
    return { endpoint: { ...ep }, tls: from === defaultContextName ? {} : s.readTls(from) };
  }
  const read = (key: string): Buffer | undefined => {
    const path = kv.get(key);
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch {
      return fail(`open ${path}: no such file or directory`);
    }
  };
  let skip = false;
  const rawSkip = kv.get("skip-tls-verify");
  if (rawSkip !== undefined) {
    try {
      skip = parseGoBool(rawSkip);
    } catch {
      fail(`skip-tls-verify: parsing ${JSON.stringify(rawSkip)}: invalid syntax`);
    }
  }
  const tls = { ca: read("ca"), cert: read("cert"), key: read("key") };
  try {
    validateTlsFiles(tls);
  } catch (err) {
    if (err instanceof ContextError) fail(`invalid docker endpoint options: ${err.message}`);
    throw err;
  }
  return { endpoint: { Host: kv.get("host") ?? "", SkipTLSVerify: skip }, tls };
}

const dockerFlag: FlagSpec = {
  name: "docker",
  type: "stringToString",
  usage: "set the docker endpoint",
  default: "[]",
  validate: (value) => {
    for (const pair of value.split(",")) {
      if (pair !== "" && !pair.includes("=")) throw new Error(`${pair} must be formatted as key=value`);
    }
  },
};

/** docker's help for the --docker keys, with its example. */
function endpointHelp(verb: "create" | "update"): string {
  return `Docker endpoint config:

NAME                DESCRIPTION
from                Copy named context's Docker endpoint configuration
host                Docker endpoint on which to connect
ca                  Trust certs signed only by this CA
cert                Path to TLS certificate file
key                 Path to TLS key file
skip-tls-verify     Skip TLS certificate validation

Example:

$ ${prog} context ${verb} my-context --description "some description" --docker "host=tcp://myserver:2376,ca=~/ca-file,cert=~/cert-file,key=~/key-file"`;
}

export const contextCreateCommand: Command = {
  usage: "[OPTIONS] CONTEXT",
  long: endpointHelp("create"),
  flags: [
    { name: "description", type: "string", usage: "Description of the context" },
    dockerFlag,
    { name: "from", type: "string", usage: "create context from a named context" },
  ],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    const name = args[0] as string;
    const s = store(ctx);
    asStatus(() => validateContextName(name));
    if (s.exists(name)) throw new StatusError(`context "${name}" already exists`, 1);
    const docker = flags.list("docker");
    const from = flags.string("from");
    if (from !== undefined && docker.length > 0) {
      throw new StatusError("cannot use --docker flag when --from is set", 1);
    }
    let meta: ContextMeta;
    let tls: TlsFiles;
    if (docker.length > 0) {
      const spec = dockerEndpoint(ctx, s, docker);
      meta = { Name: name, Metadata: {}, Endpoints: { docker: spec.endpoint } };
      tls = spec.tls;
    } else {
      // From --from, else from the current context, as docker does.
      const sourceName = from ?? asStatus(() => currentContextName(choice(ctx), ctx.env, s));
      const source = asStatus(() => lookup(ctx, s, sourceName));
      meta = { ...structuredClone(source), Name: name };
      tls = sourceName === defaultContextName ? {} : s.readTls(sourceName);
    }
    const description = flags.string("description");
    if (description !== undefined) meta.Metadata = { ...meta.Metadata, Description: description };
    s.write(meta);
    s.writeTls(name, tls);
    await writeOut(ctx.streams.stdout, `${name}\n`);
    await writeOut(ctx.streams.stderr, `Successfully created context "${name}"\n`);
    return 0;
  },
};

export const contextUpdateCommand: Command = {
  usage: "[OPTIONS] CONTEXT",
  long: endpointHelp("update"),
  flags: [{ name: "description", type: "string", usage: "Description of the context" }, dockerFlag],
  args: { exact: 1 },
  async run(ctx, flags, args) {
    const name = args[0] as string;
    const s = store(ctx);
    asStatus(() => validateContextName(name));
    const meta = asStatus(() => s.get(name));
    const description = flags.string("description");
    if (description !== undefined) meta.Metadata = { ...meta.Metadata, Description: description };
    const docker = flags.list("docker");
    let tls: TlsFiles | undefined;
    if (docker.length > 0) {
      const spec = dockerEndpoint(ctx, s, docker);
      meta.Endpoints = { ...meta.Endpoints, docker: spec.endpoint };
      tls = spec.tls;
    }
    s.write(meta);
    if (tls) s.writeTls(name, tls);
    await writeOut(ctx.streams.stdout, `${name}\n`);
    await writeOut(ctx.streams.stderr, `Successfully updated context "${name}"\n`);
    return 0;
  },
};

export const contextUseCommand: Command = {
  usage: "CONTEXT",
  flags: [],
  async run(ctx, _flags, args) {
    // cobra.ExactArgs, not cli.ExactArgs: docker's plainer message here.
    if (args.length !== 1) throw new StatusError(`accepts 1 arg(s), received ${args.length}`, 1);
    const name = args[0] as string;
    const s = store(ctx);
    if (name !== defaultContextName) asStatus(() => s.get(name));
    asStatus(() => s.setCurrentContext(name));
    await writeOut(ctx.streams.stdout, `${name}\n`);
    await writeOut(ctx.streams.stderr, `Current context is now "${name}"\n`);
    if (name !== defaultContextName) await warnHostOverride(ctx, name);
    return 0;
  },
};

export const contextShowCommand: Command = {
  usage: "",
  flags: [],
  args: { none: true },
  async run(ctx) {
    const name = asStatus(() => currentContextName(choice(ctx), ctx.env, store(ctx)));
    await writeOut(ctx.streams.stdout, `${name}\n`);
    return 0;
  },
};

/** What `context inspect` shows: the metadata plus where the store keeps it. */
function inspectView(ctx: CommandContext, s: ContextStore, name: string): unknown {
  if (name === defaultContextName) {
    const d = defaultContext(ctx.env, choice(ctx).hosts[0]);
    return {
      Name: d.Name,
      Metadata: {},
      Endpoints: d.Endpoints,
      TLSMaterial: {},
      Storage: { MetadataPath: "<IN MEMORY>", TLSPath: "<IN MEMORY>" },
    };
  }
  const meta = s.get(name);
  return {
    ...meta,
    TLSMaterial: s.tlsMaterial(name),
    Storage: { MetadataPath: s.metaDir(name), TLSPath: s.tlsDir(name) },
  };
}

export const contextInspectCommand: Command = {
  usage: "[OPTIONS] [CONTEXT] [CONTEXT...]",
  flags: [{ name: "format", short: "f", type: "string", usage: formatUsageNoTable }],
  async run(ctx, flags, args) {
    const s = store(ctx);
    const names = args.length > 0 ? args : [asStatus(() => currentContextName(choice(ctx), ctx.env, s))];
    return printInspected(
      ctx,
      flags.string("format") ?? "",
      names,
      async (name) => inspectView(ctx, s, name),
      {
        escapeHTML: true,
      },
    );
  },
};

export const contextRmCommand: Command = {
  usage: "CONTEXT [CONTEXT...]",
  flags: [{ name: "force", short: "f", usage: "Force the removal of a context in use" }],
  args: { min: 1 },
  async run(ctx, flags, args) {
    const s = store(ctx);
    const force = flags.bool("force");
    const current = asStatus(() => currentContextName(choice(ctx), ctx.env, s));
    const errors: string[] = [];
    for (const name of args) {
      if (name === defaultContextName) {
        errors.push(`context "${defaultContextName}" cannot be removed`);
        continue;
      }
      if (name === current) {
        if (!force) {
          errors.push(`context "${name}" is in use, set -f flag to force remove`);
          continue;
        }
        // Back to DOCKER_HOST / the default socket, as docker falls back.
        asStatus(() => s.setCurrentContext(""));
      }
      if (!force && !s.exists(name)) {
        errors.push(`context "${name}" does not exist`);
        continue;
      }
      s.remove(name);
      await writeOut(ctx.streams.stdout, `${name}\n`);
    }
    if (errors.length > 0) throw new StatusError(errors.join("\n"), 1);
    return 0;
  },
};

export const contextExportCommand: Command = {
  usage: "[OPTIONS] CONTEXT [FILE|-]",
  flags: [],
  args: { min: 1, max: 2 },
  async run(ctx, _flags, args) {
    const name = args[0] as string;
    const s = store(ctx);
    const tar = asStatus(() => s.exportArchive(lookup(ctx, s, name)));
    const dest = args[1] ?? `${name}.dockercontext`;
    if (dest === "-") {
      await new Promise<void>((resolve, reject) =>
        ctx.streams.stdout.write(tar, (err) => (err ? reject(err) : resolve())),
      );
      return 0;
    }
    try {
      // O_EXCL, as docker opens it: an existing file is never overwritten.
      writeFileSync(dest, tar, { flag: "wx", mode: 0o600 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === "EEXIST"
          ? "file exists"
          : code === "ENOENT"
            ? "no such file or directory"
            : (err as Error).message;
      throw new StatusError(`open ${dest}: ${why}`, 1);
    }
    await writeOut(ctx.streams.stderr, `Written file ${JSON.stringify(dest)}\n`);
    return 0;
  },
};

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

export const contextImportCommand: Command = {
  usage: "CONTEXT FILE|-",
  flags: [],
  args: { exact: 2 },
  async run(ctx, _flags, args) {
    const [name, source] = args as [string, string];
    const s = store(ctx);
    asStatus(() => validateContextName(name));
    if (s.exists(name)) throw new StatusError(`context "${name}" already exists`, 1);
    let tar: Buffer;
    if (source === "-") tar = await readAll(ctx.streams.stdin);
    else {
      try {
        tar = readFileSync(source);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new StatusError(
          `open ${source}: ${code === "ENOENT" ? "no such file or directory" : (err as Error).message}`,
          1,
        );
      }
    }
    asStatus(() => s.importArchive(name, tar));
    await writeOut(ctx.streams.stdout, `${name}\n`);
    await writeOut(ctx.streams.stderr, `Successfully imported context "${name}"\n`);
    return 0;
  },
};
