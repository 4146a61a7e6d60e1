// manifest inspect: like docker's, a client-side command that reads the manifest straight from
// the registry with the stored credentials (no daemon involved). An image manifest prints as the
// registry sent it, re-indented with tabs; an index / manifest list prints as docker rebuilds
// it (3-space indent, descriptors with their platforms). --verbose prints docker's ImageManifest
// records (Ref, Descriptor, Raw, SchemaV2Manifest/OCIManifest).
import type { Credentials } from "../../distribution/client/auth.ts";
import { RegistryClient, type RepositoryClient } from "../../distribution/client/client.ts";
import { DistributionError, RegistryResponseError } from "../../distribution/client/errors.ts";
import { RegistryHosts } from "../../distribution/client/hosts.ts";
import {
  type Descriptor,
  type ManifestIndex,
  MediaTypes,
  manifestKind,
  type Platform,
} from "../../distribution/client/manifest.ts";
import { type Command, StatusError, writeOut } from "../command.ts";
import { authKey, DockerConfig, storedAuth } from "../docker-config.ts";
import { goCompact, goIndent } from "../format/go-indent.ts";
import {
  canonicalString,
  fullName,
  type ImageReference,
  parseNormalizedNamed,
  withDefaultTag,
} from "../reference.ts";

interface InspectedManifest {
  /** The reference as docker prints it in Ref. */
  ref: string;
  descriptor: Descriptor & { platform: Platform };
  mediaType: string;
  raw: Buffer;
}

async function credentialsFor(env: NodeJS.ProcessEnv, domain: string): Promise<Credentials> {
  try {
    const stored = await storedAuth(DockerConfig.load(env), authKey(domain));
    return {
      username: stored?.username,
      password: stored?.password,
      identityToken: stored?.identitytoken,
    };
  } catch {
    return {};
  }
}

/** ocispec.Platform field order: architecture, os, os.version, os.features, variant. */
function ociPlatform(p: Partial<Platform> | undefined): Platform {
  const out: Platform = { architecture: p?.architecture ?? "", os: p?.os ?? "" };
  if (p?.["os.version"]) out["os.version"] = p["os.version"];
  if (p?.["os.features"]?.length) out["os.features"] = p["os.features"];
  if (p?.variant) out.variant = p.variant;
  return out;
}

/** The platform an image manifest's config declares (docker reads it for the Descriptor). */
async function configPlatform(repo: RepositoryClient, manifest: Record<string, unknown>): Promise<Platform> {
  const config = manifest.config as Descriptor | undefined;
  if (!config?.digest) return ociPlatform(undefined);
  const json = JSON.parse((await repo.fetchSmallBlob(config)).toString("utf8")) as Record<string, unknown>;
  return ociPlatform({
    architecture: json.architecture as string | undefined,
    os: json.os as string | undefined,
    "os.version": json["os.version"] as string | undefined,
    "os.features": json["os.features"] as string[] | undefined,
    variant: json.variant as string | undefined,
  });
}

/** One ImageManifest record as json.MarshalIndent(…, "", "\t") prints it, at depth 0. */
function verboseRecord(m: InspectedManifest): string {
  const d = m.descriptor;
  const descriptor = JSON.stringify({
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    platform: d.platform,
  });
  const key = m.mediaType === MediaTypes.dockerManifest ? "SchemaV2Manifest" : "OCIManifest";
  const embedded = goCompact(m.raw.toString("utf8"), true);
  return `{"Ref":${JSON.stringify(m.ref)},"Descriptor":${descriptor},"Raw":"${m.raw.toString("base64")}","${key}":${embedded}}`;
}

/** manifestlist.FromDescriptors(…).MarshalJSON(): a 3-space indented list of the entries. */
function rebuiltList(entries: InspectedManifest[]): string {
  const first = entries[0]?.descriptor.mediaType;
  return JSON.stringify(
    {
      schemaVersion: 2,
      mediaType: first === MediaTypes.ociManifest ? MediaTypes.ociIndex : MediaTypes.dockerManifestList,
      manifests: entries.map((e) => ({
        mediaType: e.descriptor.mediaType,
        size: e.descriptor.size,
        digest: e.descriptor.digest,
        platform: e.descriptor.platform,
      })),
    },
    null,
    3,
  );
}

async function inspect(repo: RepositoryClient, ref: ImageReference, verbose: boolean): Promise<string> {
  const fetched = await repo.getManifest(ref.digest ?? ref.tag ?? "latest");
  if (manifestKind(fetched.mediaType, fetched.json) === "image") {
    if (!verbose) return `${goIndent(fetched.bytes.toString("utf8"), "", "\t")}\n`;
    const platform = await configPlatform(repo, fetched.json);
    return `${goIndent(
      verboseRecord({
        ref: canonicalString(ref),
        descriptor: {
          mediaType: fetched.mediaType,
          digest: fetched.digest,
          size: fetched.bytes.length,
          platform,
        },
        mediaType: fetched.mediaType,
        raw: fetched.bytes,
      }),
      "",
      "\t",
    )}\n`;
  }
  const index = fetched.json as unknown as ManifestIndex;
  const entries: InspectedManifest[] = [];
  for (const entry of index.manifests ?? []) {
    const child = await repo.getManifest(entry.digest);
    if (manifestKind(child.mediaType, child.json) !== "image") continue;
    entries.push({
      ref: `${fullName(ref)}${ref.tag ? `:${ref.tag}` : ""}@${entry.digest}`,
      descriptor: {
        mediaType: entry.mediaType,
        digest: entry.digest,
        size: entry.size,
        platform: ociPlatform(entry.platform),
      },
      mediaType: child.mediaType,
      raw: child.bytes,
    });
  }
  if (!verbose) return `${rebuiltList(entries)}\n`;
  return `${goIndent(`[${entries.map(verboseRecord).join(",")}]`, "", "\t")}\n`;
}

export const manifestInspectCommand: Command = {
  usage: "[OPTIONS] [MANIFEST_LIST] MANIFEST",
  flags: [
    { name: "insecure", usage: "Allow communication with an insecure registry" },
    { name: "verbose", short: "v", usage: "Output additional info including layers and platform" },
  ],
  args: { min: 1, max: 2 },
  async run(ctx, flags, args) {
    if (args.length === 2) {
      // docker reads a list made by `docker manifest create` from its local store; wharf has none.
      throw new StatusError(`No such manifest: ${args[1]}`, 1);
    }
    let ref: ImageReference;
    try {
      ref = parseNormalizedNamed(args[0] as string);
    } catch (err) {
      throw new StatusError((err as Error).message, 1);
    }
    if (!ref.digest) ref = withDefaultTag(ref);
    const hosts = new RegistryHosts({ insecureRegistries: flags.bool("insecure") ? [ref.domain] : [] });
    const session = new RegistryClient(hosts, { retries: 1 }).sessionFor(
      ref.domain,
      await credentialsFor(ctx.env, ref.domain),
    );
    let text: string;
    try {
      text = await inspect(session.repository(ref.path, ["pull"]), ref, flags.bool("verbose"));
    } catch (err) {
      // docker reports refused credentials (a registry 401) as a missing manifest, too.
      const refused = err instanceof RegistryResponseError && err.httpStatus === 401;
      if ((err instanceof DistributionError && err.status === 404) || refused) {
        throw new StatusError(`no such manifest: ${canonicalString(ref)}`, 1);
      }
      throw new StatusError((err as Error).message, 1);
    }
    await writeOut(ctx.streams.stdout, text);
    return 0;
  },
};
