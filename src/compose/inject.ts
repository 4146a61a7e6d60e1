// Secrets and configs whose value is not a file (`environment:`, and `content:` for configs):
// written into the created container through the archive API before it starts, as docker
// compose v2 does (its injectSecrets/injectConfigs), with mode 0444 unless the service says.
import * as tarStream from "tar-stream";
import type { ComposeEngine } from "./engine.ts";
import type { FileObjectConfig, FileReference, Project, ServiceConfig } from "./model.ts";

export class InjectError extends Error {}

export interface InjectedFile {
  /** absolute path in the container */
  path: string;
  content: string;
  mode: number;
  uid?: number;
  gid?: number;
}

function valueFor(
  project: Project,
  kind: "secret" | "config",
  key: string,
  def: FileObjectConfig,
): string | undefined {
  if (def.environment !== undefined) {
    const value = project.environment[def.environment];
    if (value === undefined) {
      throw new InjectError(
        `environment variable "${def.environment}" required by ${kind} "${key}" is not set`,
      );
    }
    return value;
  }
  return def.content;
}

function numeric(id: string | undefined, what: string): number | undefined {
  if (id === undefined || id === "") return undefined;
  if (!/^\d+$/.test(id)) throw new InjectError(`invalid ${what} ${JSON.stringify(id)}: a number is required`);
  return Number(id);
}

/** The files a replica of `svc` gets injected; throws before anything is created when one is unset. */
export function injectedFiles(project: Project, svc: ServiceConfig): InjectedFile[] {
  const out: InjectedFile[] = [];
  const add = (kind: "secret" | "config", refs: readonly FileReference[] | undefined) => {
    for (const ref of refs ?? []) {
      const def = (kind === "secret" ? project.secrets : project.configs)[ref.source];
      if (!def || def.file !== undefined || def.external) continue;
      const content = valueFor(project, kind, ref.source, def);
      // compose v2 skips an empty value too: no file is written.
      if (content === undefined || content === "") continue;
      out.push({
        path: ref.target,
        content,
        mode: ref.mode ?? 0o444,
        uid: numeric(ref.uid, "uid"),
        gid: numeric(ref.gid, "gid"),
      });
    }
  };
  add("secret", svc.secrets);
  add("config", svc.configs);
  return out;
}

function tarOf(files: readonly InjectedFile[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
  const mtime = new Date();
  for (const f of files) {
    pack.entry(
      { name: f.path.replace(/^\/+/, ""), mode: f.mode, uid: f.uid ?? 0, gid: f.gid ?? 0, mtime },
      f.content,
    );
  }
  pack.finalize();
  return done;
}

/** Writes the files into the (created, not yet started) container. */
export async function injectFiles(
  engine: ComposeEngine,
  containerId: string,
  files: readonly InjectedFile[],
): Promise<void> {
  if (files.length === 0) return;
  const ownership = files.some((f) => f.uid !== undefined || f.gid !== undefined);
  await engine.archivePut(containerId, "/", await tarOf(files), { copyUIDGID: ownership });
}
