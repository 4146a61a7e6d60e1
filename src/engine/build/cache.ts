// The build cache: step key → resulting image ID, in its own SQLite table (build_cache), so it
// survives daemon restarts. A key covers the parent image, the step as expanded and (for
// COPY/ADD) the digest of the copied content; a hit whose image is gone counts as a miss.
import { createHash } from "node:crypto";
import type { Database } from "../../store/db.ts";

export function cacheKey(parentImage: string | undefined, parts: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify([parentImage ?? "scratch", parts]))
    .digest("hex");
}

export class BuildCache {
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  lookup(key: string, exists: (imageId: string) => boolean): string | undefined {
    const row = this.db.sql.prepare("SELECT image_id FROM build_cache WHERE key = ?").get(key) as
      | { image_id: string }
      | undefined;
    if (!row) return undefined;
    if (exists(row.image_id)) return row.image_id;
    this.db.sql.prepare("DELETE FROM build_cache WHERE key = ?").run(key);
    return undefined;
  }

  /** Every entry: step key, resulting image, when it was stored (ms). */
  entries(): Array<{ key: string; imageId: string; created: number }> {
    const rows = this.db.sql.prepare("SELECT key, image_id, created FROM build_cache").all() as Array<{
      key: string;
      image_id: string;
      created: number;
    }>;
    return rows.map((r) => ({ key: r.key, imageId: r.image_id, created: r.created }));
  }

  /** Forgets entries (the step images stay, as images). */
  remove(keys: readonly string[]): void {
    const del = this.db.sql.prepare("DELETE FROM build_cache WHERE key = ?");
    for (const key of keys) del.run(key);
  }

  store(key: string, imageId: string): void {
    this.db.sql
      .prepare("INSERT OR REPLACE INTO build_cache (key, image_id, created) VALUES (?, ?, ?)")
      .run(key, imageId, Date.now());
  }
}
