// The metadata database: one SQLite file (WAL) under the data root. Records are stored as JSON
// documents with a few indexed columns; multi-object changes go through `transaction`.
import { DatabaseSync } from "node:sqlite";

const migrations: string[] = [
  `CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created INTEGER NOT NULL, record TEXT NOT NULL);
   CREATE TABLE images (id TEXT PRIMARY KEY, created INTEGER NOT NULL, record TEXT NOT NULL);
   CREATE TABLE tags (ref TEXT PRIMARY KEY, image_id TEXT NOT NULL);
   CREATE INDEX tags_image ON tags(image_id);
   CREATE TABLE layers (chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT, snapshot TEXT NOT NULL, short TEXT NOT NULL,
                        size INTEGER NOT NULL, blob TEXT NOT NULL, media_type TEXT NOT NULL);`,
  // networks (issue 7): an endpoint row is a container's attachment to a network and its IP lease.
  `CREATE TABLE IF NOT EXISTS networks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created INTEGER NOT NULL, record TEXT NOT NULL);
   CREATE TABLE IF NOT EXISTS endpoints (id TEXT PRIMARY KEY, network_id TEXT NOT NULL, container_id TEXT NOT NULL, record TEXT NOT NULL,
                                         UNIQUE (network_id, container_id));
   CREATE INDEX IF NOT EXISTS endpoints_container ON endpoints(container_id);`,
  // The builder's step cache (engine/build/cache.ts).
  `CREATE TABLE IF NOT EXISTS build_cache (key TEXT PRIMARY KEY, image_id TEXT NOT NULL, created INTEGER NOT NULL);
   CREATE INDEX IF NOT EXISTS build_cache_image ON build_cache(image_id);`,
  // Volumes (issue #8).
  `CREATE TABLE IF NOT EXISTS volumes (name TEXT PRIMARY KEY, created INTEGER NOT NULL, record TEXT NOT NULL);`,
  // image store (#4): byte size of each layer's uncompressed tar, so save can stream it as a tar entry.
  "ALTER TABLE layers ADD COLUMN diff_size INTEGER;",
];

export class Database {
  readonly sql: DatabaseSync;

  constructor(path: string) {
    this.sql = new DatabaseSync(path);
    this.sql.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    this.migrate();
  }

  private migrate(): void {
    const row = this.sql.prepare("PRAGMA user_version").get() as { user_version: number };
    for (let v = row.user_version; v < migrations.length; v++) {
      this.transaction(() => {
        this.sql.exec(migrations[v] as string);
        this.sql.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }

  transaction<T>(fn: () => T): T {
    this.sql.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.sql.exec("COMMIT");
      return result;
    } catch (err) {
      this.sql.exec("ROLLBACK");
      throw err;
    }
  }

  close(): void {
    this.sql.close();
  }
}
