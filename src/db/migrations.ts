import { ActionError } from '../errors';
import type { SqlDriver } from './types';

/**
 * Schema migrations, applied in order and recorded in `schema_version`.
 * Never edit a released migration: add a new one. Each runs in its own transaction.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'metric definitions, builds and metric values',
    sql: `
      CREATE TABLE metric_definitions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        name        TEXT NOT NULL UNIQUE,
        type        TEXT NOT NULL CHECK (type IN ('numeric', 'label')),
        unit        TEXT,
        description TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      );
      CREATE TABLE builds (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        commit_sha  TEXT NOT NULL,
        branch      TEXT NOT NULL,
        run_id      TEXT NOT NULL,
        run_number  INTEGER NOT NULL,
        run_attempt INTEGER NOT NULL,
        actor       TEXT,
        event_name  TEXT,
        repository  TEXT,
        timestamp   TEXT NOT NULL,
        UNIQUE (commit_sha, run_id)
      );
      CREATE TABLE metric_values (
        build_id      INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
        metric_id     INTEGER NOT NULL REFERENCES metric_definitions (id),
        value_numeric REAL,
        value_label   TEXT,
        PRIMARY KEY (build_id, metric_id),
        CHECK ((value_numeric IS NULL) <> (value_label IS NULL))
      );
      -- history/stats/previous-value read one metric's values newest build first
      CREATE INDEX idx_metric_values_metric_build ON metric_values (metric_id, build_id);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** Tables a track-metrics database holds (besides SQLite's own). */
export const SCHEMA_TABLES = ['schema_version', 'metric_definitions', 'builds', 'metric_values'] as const;

/** User tables in the file, without touching it. */
export function listTables(db: SqlDriver): string[] {
  return db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`)
    .all()
    .map((r) => String(r.name));
}

/** The highest applied version, 0 for a database without our schema. Read-only. */
export function currentSchemaVersion(db: SqlDriver): number {
  if (!listTables(db).includes('schema_version')) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get();
  return Number(row?.v ?? 0);
}

export function newerSchemaError(file: string, found: number): ActionError {
  return new ActionError(
    'INTERNAL',
    `The database ${file} has schema version ${found}, newer than this action supports (${LATEST_SCHEMA_VERSION}).`,
    { hint: 'Upgrade the track-metrics action to the version that wrote this database; the file was left unchanged.' },
  );
}

/**
 * Brings the schema up to date. Refuses, before writing anything, a database written by a
 * newer version of the action. Returns the versions before and after.
 */
export function migrate(db: SqlDriver, file: string): { from: number; to: number } {
  const from = currentSchemaVersion(db);
  if (from > LATEST_SCHEMA_VERSION) throw newerSchemaError(file, from);
  if (from === LATEST_SCHEMA_VERSION) return { from, to: from };

  for (const migration of MIGRATIONS) {
    db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      const now = currentSchemaVersion(db);
      if (now > LATEST_SCHEMA_VERSION) throw newerSchemaError(file, now);
      if (migration.version <= now) return;
      db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(
        migration.version,
        new Date().toISOString(),
      );
    });
  }
  return { from, to: currentSchemaVersion(db) };
}
