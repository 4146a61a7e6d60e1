// docker credential helpers (docker-credential-<name> get|store|erase), used when config.json
// names one in "credHelpers" for the registry or in "credsStore", as the docker CLI does: the
// server URL (get, erase) or {ServerURL, Username, Secret} (store) on stdin, JSON on stdout.
import { spawn } from "node:child_process";

export interface HelperCredentials {
  ServerURL?: string;
  Username: string;
  Secret: string;
}

/** The "not found" answer helpers give for an unknown server (docker treats it as no login). */
const notFound = /credentials not found/i;

function runHelper(helper: string, action: "get" | "store" | "erase", input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, [action], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", (e) => reject(new Error(`error getting credentials - err: ${e.message}, out: \`\``)));
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else
        reject(new Error((out || err).trim() || `docker-credential-${helper} ${action} exited with ${code}`));
    });
    child.stdin.end(input);
  });
}

/** Credentials from a helper; undefined when it has none for the server. */
export async function helperGet(helper: string, server: string): Promise<HelperCredentials | undefined> {
  try {
    const out = await runHelper(helper, "get", server);
    const creds = JSON.parse(out) as HelperCredentials;
    return creds.Username || creds.Secret ? creds : undefined;
  } catch (err) {
    if (notFound.test((err as Error).message)) return undefined;
    throw err;
  }
}

export async function helperStore(helper: string, creds: HelperCredentials): Promise<void> {
  await runHelper(helper, "store", JSON.stringify(creds));
}

export async function helperErase(helper: string, server: string): Promise<boolean> {
  try {
    await runHelper(helper, "erase", server);
    return true;
  } catch (err) {
    if (notFound.test((err as Error).message)) return false;
    throw err;
  }
}
