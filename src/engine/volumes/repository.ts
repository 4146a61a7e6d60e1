// Volume records in SQLite (table `volumes`), cached in memory like containers.
import type { Database } from "../../store/db.ts";

export interface VolumeRecord {
  name: string;
  driver: string;
  /** RFC 3339, seconds precision, as Docker shows CreatedAt. */
  createdAt: string;
  labels: Record<string, string>;
  /** Local driver options: type, o, device. */
  options: Record<string, string>;
}

export class VolumeRepository {
  private readonly db: Database;
  private readonly byName = new Map<string, VolumeRecord>();

  constructor(db: Database) {
    this.db = db;
    for (const row of db.sql.prepare("SELECT record FROM volumes").all() as Array<{ record: string }>) {
      const record = JSON.parse(row.record) as VolumeRecord;
      this.byName.set(record.name, record);
    }
  }

  all(): VolumeRecord[] {
    return [...this.byName.values()];
  }

  find(name: string): VolumeRecord | undefined {
    return this.byName.get(name);
  }

  insert(record: VolumeRecord): void {
    this.db.sql
      .prepare("INSERT INTO volumes (name, created, record) VALUES (?, ?, ?)")
      .run(record.name, Date.parse(record.createdAt), JSON.stringify(record));
    this.byName.set(record.name, record);
  }

  delete(name: string): void {
    this.db.sql.prepare("DELETE FROM volumes WHERE name = ?").run(name);
    this.byName.delete(name);
  }
}
