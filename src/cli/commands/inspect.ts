// inspect (containers first, then images, as docker does), container inspect, image inspect.
import type { EngineClient } from "../../client/engine-client.ts";
import { ApiError } from "../../client/errors.ts";
import { type Command, type CommandContext, describeError, StatusError, writeOut } from "../command.ts";
import { formatUsageNoTable } from "../container-flags.ts";
import type { ParsedFlags } from "../flags.ts";
import type { Template } from "../format/template.ts";

type Kind = "container" | "image" | "network" | "volume";
type Getter = (client: EngineClient, ref: string, size: boolean) => Promise<unknown>;

const getters: Record<Kind, Getter> = {
  container: async (client, ref, size) => withTypedZeroes(await client.containerInspect(ref, { size })),
  image: (client, ref) => client.imageInspect(ref),
  network: (client, ref) => client.json("GET", `/networks/${encodeURIComponent(ref)}`),
  volume: (client, ref) => client.volumeInspect(ref),
};

/**
 * The docker CLI runs templates on Go structs: a field the daemon omitted (omitempty) still
 * prints its zero value ("map[]"). Hidden properties give templates that, while `{{json .}}`
 * still shows exactly what the daemon sent.
 */
function withTypedZeroes<T>(info: T): T {
  const config = (info as { Config?: Record<string, unknown> }).Config;
  if (config && !Object.hasOwn(config, "ExposedPorts")) {
    Object.defineProperty(config, "ExposedPorts", { enumerable: false, value: {} });
  }
  return info;
}

const knownTypes = [
  "",
  "config",
  "container",
  "image",
  "network",
  "node",
  "plugin",
  "secret",
  "service",
  "task",
  "volume",
];

/** One object by reference, trying each allowed kind in docker's order. */
async function lookup(
  client: EngineClient,
  ref: string,
  kinds: readonly Kind[],
  size: boolean,
  constrained: boolean,
): Promise<unknown> {
  for (const kind of kinds) {
    try {
      return await getters[kind](client, ref, size);
    } catch (err) {
      // Without --type, a miss moves on to the next kind.
      if (!constrained && err instanceof ApiError && err.status === 404) continue;
      throw err;
    }
  }
  throw new Error(`Error: No such object: ${ref}`);
}

/** docker's inspect of API objects: containers, images, networks, volumes (in the kinds given). */
function inspectObjects(
  ctx: CommandContext,
  flags: ParsedFlags,
  refs: string[],
  kinds: readonly Kind[],
  constrained: boolean,
): Promise<number> {
  const client = ctx.client();
  const size = flags.bool("size");
  return printInspected(ctx, flags.string("format") ?? "", refs, (ref) =>
    lookup(client, ref, kinds, size, constrained),
  );
}

/**
 * docker/cli's inspect.Inspect: each ref looked up with `find`, then an indented JSON array (Go's
 * HTML escaping when `escapeHTML`, as for objects the CLI marshals itself rather than the daemon's
 * raw JSON), or the template once per object. Lookup and template errors are gathered and end
 * the command with status 1 after the rest is printed.
 */
export async function printInspected(
  ctx: CommandContext,
  format: string,
  refs: readonly string[],
  find: (ref: string) => Promise<unknown>,
  opts: { escapeHTML?: boolean } = {},
): Promise<number> {
  let tmpl: Template | undefined;
  if (format !== "" && format !== "json") {
    const { Template } = await import("../format/template.ts");
    try {
      tmpl = new Template(format);
    } catch (err) {
      throw new StatusError(`template parsing error: ${(err as Error).message}`, 64);
    }
  }
  const errors: string[] = [];
  const found: unknown[] = [];
  let out = "";
  for (const ref of refs) {
    let obj: unknown;
    try {
      obj = await find(ref);
    } catch (err) {
      errors.push(describeError(err));
      continue;
    }
    if (!tmpl) {
      found.push(obj);
      continue;
    }
    try {
      out += `${tmpl.execute(obj)}\n`;
    } catch (err) {
      errors.push(`template parsing error: ${(err as Error).message}`);
    }
  }
  if (!tmpl) {
    const json = JSON.stringify(found, null, 4);
    out = found.length === 0 ? "[]\n" : `${opts.escapeHTML ? escapeHtml(json) : json}\n`;
  } else if (out === "") out = "\n"; // docker's inspector flushes an empty line when nothing rendered
  await writeOut(ctx.streams.stdout, out);
  if (errors.length > 0) throw new StatusError(errors.join("\n"), 1);
  return 0;
}

/** encoding/json's HTML escaping. */
const escapeHtml = (json: string) =>
  json.replaceAll("<", "\\u003c").replaceAll(">", "\\u003e").replaceAll("&", "\\u0026");

const formatFlag = { name: "format", short: "f", type: "string", usage: formatUsageNoTable };

export const inspectCommand: Command = {
  usage: "[OPTIONS] NAME|ID [NAME|ID...]",
  flags: [
    formatFlag,
    { name: "size", short: "s", usage: "Display total file sizes if the type is container" },
    { name: "type", type: "string", usage: "Only inspect objects of the given type" },
  ],
  args: { min: 1 },
  run(ctx, flags, args) {
    const type = flags.string("type") ?? "";
    if (!knownTypes.includes(type))
      throw new Error(`${JSON.stringify(type)} is not a valid value for --type`);
    if (type !== "" && !Object.hasOwn(getters, type)) {
      throw new Error(`inspecting objects of type ${JSON.stringify(type)} is not supported yet`);
    }
    // docker's order when the type is not given.
    const kinds: Kind[] = type === "" ? ["container", "image", "network", "volume"] : [type as Kind];
    return inspectObjects(ctx, flags, args, kinds, type !== "");
  },
};

export const containerInspectCommand: Command = {
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  flags: [formatFlag, { name: "size", short: "s", usage: "Display total file sizes" }],
  args: { min: 1 },
  run: (ctx, flags, args) => inspectObjects(ctx, flags, args, ["container"], true),
};

export const imageInspectCommand: Command = {
  usage: "[OPTIONS] IMAGE [IMAGE...]",
  flags: [formatFlag],
  args: { min: 1 },
  run: (ctx, flags, args) => inspectObjects(ctx, flags, args, ["image"], true),
};

export const networkInspectCommand: Command = {
  usage: "[OPTIONS] NETWORK [NETWORK...]",
  flags: [formatFlag, { name: "verbose", short: "v", usage: "Verbose output for diagnostics" }],
  args: { min: 1 },
  run: (ctx, flags, args) => inspectObjects(ctx, flags, args, ["network"], true),
};

export const volumeInspectCommand: Command = {
  usage: "[OPTIONS] VOLUME [VOLUME...]",
  flags: [formatFlag],
  args: { min: 1 },
  run: (ctx, flags, args) => inspectObjects(ctx, flags, args, ["volume"], true),
};
