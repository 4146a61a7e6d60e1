// POST /build with a context made from files, its JSON-lines stream parsed; and the output of
// a container run from the built image. Shared by the builder's integration tests.

import { demux, type TestApi } from "./api.ts";
import { makeTar, type TarEntry } from "./tars.ts";

export interface BuildLine {
  stream?: string;
  aux?: { ID: string };
  error?: string;
  errorDetail?: { code?: number; message: string };
}

export interface BuildResult {
  status: number;
  lines: BuildLine[];
  /** All `stream` text, in order. */
  output: string;
  /** The built image's ID (the aux line), when the build succeeded. */
  id?: string;
  /** The last line's error, when the build failed in the stream. */
  error?: string;
  last?: BuildLine;
  /** The error message of a request refused before the stream started (status ≠ 200). */
  message?: string;
}

/** Builds from `files` (name → content, or tar entries) with the query string `query`. */
export async function postBuild(
  api: TestApi,
  files: Record<string, string> | TarEntry[],
  query = "",
): Promise<BuildResult> {
  const entries = Array.isArray(files)
    ? files
    : Object.entries(files).map(([name, body]) => ({ name, body }));
  const res = await api.call("POST", `/build?${query}`, await makeTar(entries), {
    headers: { "Content-Type": "application/x-tar" },
  });
  if (res.status !== 200)
    return { status: res.status, lines: [], output: "", message: res.json<{ message: string }>().message };
  const lines = res
    .text()
    .split("\r\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as BuildLine);
  return {
    status: res.status,
    lines,
    output: lines.map((l) => l.stream ?? "").join(""),
    id: lines.find((l) => l.aux)?.aux?.ID,
    error: lines.at(-1)?.error,
    last: lines.at(-1),
  };
}

/** Runs `image` (with `cmd`, else its own), waits, removes it; returns stdout (and stderr). */
export async function runOutput(
  api: TestApi,
  image: string,
  cmd?: string[],
  opts: { stderr?: boolean } = {},
): Promise<string> {
  const id = await api.run({ Image: image, ...(cmd ? { Cmd: cmd } : {}) });
  await api.waitExit(id);
  const logs = await api.call("GET", `/containers/${id}/logs?stdout=1&stderr=1`);
  await api.call("DELETE", `/containers/${id}?force=1`);
  const out = demux(logs.body);
  return opts.stderr ? out.stdout + out.stderr : out.stdout;
}
