// `wharf registry serve|gc`: command-line entry of the registry server.
import { parseArgs } from "node:util";
import { type RegistryFlags, resolveConfig } from "./config.ts";
import { parseDuration } from "./duration.ts";
import type { GcReport } from "./gc/collector.ts";
import { runGc } from "./gc/run.ts";
import { startRegistry } from "./server.ts";

const USAGE = `Usage: wharf registry COMMAND [OPTIONS]

An OCI Distribution v1.1 registry.

Commands:
  serve   Serve the registry until SIGTERM or SIGINT
  gc      Delete manifests no tag or referrer keeps, and blobs no manifest references

Run 'wharf registry COMMAND --help' for the options of a command.
`;

const SERVE_USAGE = `Usage: wharf registry serve [OPTIONS]

Options:
  --config FILE              JSON config file; flags override its values
  --addr HOST:PORT           Listen address (default 127.0.0.1:5000)
  --root DIR                 Storage root (default /var/lib/wharf/registry)
  --tls-cert FILE            Serve HTTPS with this certificate (PEM)...
  --tls-key FILE             ...and this private key (PEM)
  --htpasswd FILE            Require Basic auth against a bcrypt htpasswd file
  --token-realm URL          Bearer token auth; the registry serves tokens at this URL's path
                             (users come from --htpasswd, rights from the config's access rules)
  --token-service NAME       Service name tokens are issued for (default wharf-registry)
  --read-only                Refuse pushes and deletes
  --upload-expiry DURATION   Idle upload sessions expire after this long (default 1h)
  --gc-grace DURATION        gc never deletes content younger than this (default 15m)
  --manifest-max-bytes N     Largest manifest accepted (default 4194304)
  --quiet                    No request log
  -h, --help                 Show this help
`;

const GC_USAGE = `Usage: wharf registry gc [OPTIONS]

Marks every manifest reachable from a tag (through indexes and referrers) and every blob
those manifests reference, then deletes the rest. Safe while the server runs: gc then runs
inside the server, and content younger than the grace period is always kept.

Options:
  --config FILE              JSON config file
  --root DIR                 Storage root (default /var/lib/wharf/registry)
  --dry-run                  Report what would be deleted, delete nothing
  --grace DURATION           Keep content younger than this (default: config, 15m)
  --json                     Print the report as JSON
  -h, --help                 Show this help
`;

export async function registryCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "serve":
      return serveCommand(rest);
    case "gc":
      return gcCommand(rest);
    case undefined:
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`wharf registry: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

function parse<T extends Record<string, { type: "string" | "boolean"; short?: string }>>(
  args: string[],
  options: T,
  usage: string,
):
  | ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>>
  | number {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}`);
    return 2;
  }
}

async function serveCommand(args: string[]): Promise<number> {
  const parsed = parse(
    args,
    {
      config: { type: "string" },
      addr: { type: "string" },
      root: { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      htpasswd: { type: "string" },
      "token-realm": { type: "string" },
      "token-service": { type: "string" },
      "read-only": { type: "boolean" },
      "upload-expiry": { type: "string" },
      "gc-grace": { type: "string" },
      "manifest-max-bytes": { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    SERVE_USAGE,
  );
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  const flags: RegistryFlags = {
    addr: v.addr,
    root: v.root,
    readOnly: v["read-only"],
    tlsCert: v["tls-cert"],
    tlsKey: v["tls-key"],
    htpasswd: v.htpasswd,
    tokenRealm: v["token-realm"],
    tokenService: v["token-service"],
    uploadExpiry: v["upload-expiry"],
    gcGrace: v["gc-grace"],
    manifestMaxBytes: v["manifest-max-bytes"],
    quiet: v.quiet,
  };
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  try {
    const config = await resolveConfig(v.config, flags);
    registry = await startRegistry(config);
    process.stderr.write(
      `wharf registry: serving ${registry.url} (root ${config.root}, auth ${registry.authMode}` +
        `${config.readOnly ? ", read-only" : ""})\n`,
    );
  } catch (err) {
    process.stderr.write(`wharf registry: ${(err as Error).message}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        process.stderr.write(`wharf registry: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      process.stderr.write(`wharf registry: ${signal}, finishing requests in flight\n`);
      registry.close().then(() => {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        resolve();
      });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  process.stderr.write("wharf registry: stopped\n");
  return 0;
}

async function gcCommand(args: string[]): Promise<number> {
  const parsed = parse(
    args,
    {
      config: { type: "string" },
      root: { type: "string" },
      "dry-run": { type: "boolean" },
      grace: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    GC_USAGE,
  );
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(GC_USAGE);
    return 0;
  }
  try {
    const config = await resolveConfig(v.config, { root: v.root, quiet: true });
    const graceMs = v.grace === undefined ? config.gcGraceMs : parseDuration(v.grace);
    const dryRun = v["dry-run"] === true;
    const { report, via } = await runGc(config, { dryRun, graceMs });
    process.stdout.write(
      v.json ? `${JSON.stringify({ via, ...report }, null, 2)}\n` : formatReport(report, via),
    );
    return 0;
  } catch (err) {
    process.stderr.write(`wharf registry gc: ${(err as Error).message}\n`);
    return 1;
  }
}

export function formatReport(report: GcReport, via: "server" | "offline"): string {
  const verb = report.dryRun ? "would delete" : "deleted";
  const lines: string[] = [];
  for (const m of report.manifestsDeleted) lines.push(`${verb} manifest ${m.repository}@${m.digest}`);
  for (const b of report.blobsDeleted) lines.push(`${verb} blob ${b.digest} (${b.size} bytes)`);
  lines.push(
    `${report.dryRun ? "dry run: " : ""}${report.manifestsDeleted.length} manifests and ` +
      `${report.blobsDeleted.length} blobs ${report.dryRun ? "would be deleted" : "deleted"} (${report.bytesFreed} bytes), ` +
      `${report.manifestsKept} manifests and ${report.blobsKept} blobs kept, ` +
      `${report.uploadsDeleted} expired uploads, ${report.layerLinksDeleted} dangling links ` +
      `(${via === "server" ? "collected by the running server" : "offline"})`,
  );
  return `${lines.join("\n")}\n`;
}
