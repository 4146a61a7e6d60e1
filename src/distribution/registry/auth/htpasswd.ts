// htpasswd files with bcrypt entries ("user:$2y$..."), the only format distribution accepts.
// Successful checks are cached for a short while: clients send Basic credentials on every
// request and a bcrypt comparison costs tens of milliseconds of CPU.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import bcrypt from "bcryptjs";

const CACHE_MS = 60_000;

export class Htpasswd {
  private readonly entries: Map<string, string>;
  private readonly verified = new Map<string, number>();

  constructor(entries: Map<string, string>) {
    this.entries = entries;
  }

  static parse(text: string): Htpasswd {
    const entries = new Map<string, string>();
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) continue;
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const hash = line.slice(colon + 1);
      // Only bcrypt ($2a$, $2b$, $2y$) is supported, as in distribution.
      if (!/^\$2[aby]?\$\d\d\$/.test(hash)) continue;
      entries.set(line.slice(0, colon), hash);
    }
    return new Htpasswd(entries);
  }

  static async load(path: string): Promise<Htpasswd> {
    return Htpasswd.parse(await readFile(path, "utf8"));
  }

  get size(): number {
    return this.entries.size;
  }

  async verify(user: string, password: string, now: number = Date.now()): Promise<boolean> {
    const hash = this.entries.get(user);
    if (hash === undefined) {
      // Spend comparable time for unknown users, so timing does not reveal which users exist.
      await bcrypt.compare(password, "$2a$10$CwTycUXWue0Thq9StjUM0uJ8DPLKXt1FYlwYpQW1G4Xv1n3n9aQ1.");
      return false;
    }
    const key = createHash("sha256").update(`${user}\0${password}\0${hash}`).digest("hex");
    const until = this.verified.get(key);
    if (until !== undefined && until > now) return true;
    const ok = await bcrypt.compare(password, hash);
    if (ok) this.verified.set(key, now + CACHE_MS);
    return ok;
  }
}

/** Decodes an "Authorization: Basic ..." header into user and password. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
