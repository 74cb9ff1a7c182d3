import * as fs from 'fs';
import type { MetricDefinition } from '../config/types';
import type { BuildContext } from '../context';
import { ActionError } from '../errors';
import type { CollectedMetric } from '../metrics/types';
import {
  LATEST_SCHEMA_VERSION,
  SCHEMA_TABLES,
  currentSchemaVersion,
  listTables,
  migrate,
  newerSchemaError,
} from './migrations';
import { openDriver } from './open-driver';
import type { SqlDriver } from './types';

export interface HistoryPoint {
  buildId: number;
  commitSha: string;
  runNumber: number;
  timestamp: string;
  value: number | string;
}

export interface MetricStats {
  min: number;
  max: number;
  avg: number;
  count: number;
}

export type ValidationResult = { ok: true } | { ok: false; reason: string };

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const BUSY_TIMEOUT_MS = 5000;

/**
 * The metrics database: one SQLite file holding metric definitions, builds and values.
 * Builds are ordered by when they were first recorded (their id); a re-run attempt keeps its place.
 */
export class MetricsStore {
  private closed = false;

  private constructor(
    private readonly db: SqlDriver,
    readonly file: string,
  ) {}

  /** 'better-sqlite3' or 'node:sqlite' */
  get driverName(): string {
    return this.db.name;
  }

  /**
   * Opens (creating if absent) and migrates the database. A file written by a newer version of
   * the action is refused untouched; a file that is not ours or not SQLite is DB_CORRUPT.
   */
  static open(file: string, options: { log?: (line: string) => void } = {}): MetricsStore {
    const db = openDriver(file, { log: options.log });
    try {
      // Connection settings only; nothing written to the file yet.
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.exec('PRAGMA foreign_keys = ON');
      const version = currentSchemaVersion(db);
      if (version > LATEST_SCHEMA_VERSION) throw newerSchemaError(file, version);
      if (version === 0) {
        const foreign = listTables(db);
        if (foreign.length > 0) throw foreignDatabaseError(file, foreign);
      }
      // DELETE, never WAL: after close the main file alone must hold everything, to copy or upload.
      db.prepare('PRAGMA journal_mode = DELETE').get();
      const { from, to } = migrate(db, file);
      if (from !== to) options.log?.(`Database schema migrated from version ${from} to ${to}.`);
      return new MetricsStore(db, file);
    } catch (e) {
      db.close();
      throw asCorruptionError(e, file) ?? e;
    }
  }

  /**
   * Whether `file` is an intact SQLite database that is ours (or has no tables yet).
   * Opens it read-only; never changes it. Used to decide DB_CORRUPT.
   */
  static validateFile(file: string): ValidationResult {
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch (e) {
      return { ok: false, reason: `cannot read ${file}: ${(e as Error).message}` };
    }
    if (size === 0) return { ok: false, reason: `${file} is empty (0 bytes); expected a SQLite database` };
    const header = readHead(file, 100);
    if (!header.subarray(0, 16).equals(SQLITE_HEADER)) {
      return { ok: false, reason: `${file} is not a SQLite database (its first bytes are not "SQLite format 3")` };
    }
    if (size < 100) return { ok: false, reason: `${file} is truncated: ${size} bytes, shorter than a SQLite header` };
    const pageSizeField = header.readUInt16BE(16);
    const pageSize = pageSizeField === 1 ? 65536 : pageSizeField;
    if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
      return { ok: false, reason: `${file} has an invalid SQLite header (page size ${pageSizeField})` };
    }
    if (size % pageSize !== 0) {
      return { ok: false, reason: `${file} is truncated: ${size} bytes is not a whole number of ${pageSize}-byte pages` };
    }
    // The in-header page count is trustworthy only when its "valid-for" counter matches.
    const pageCount = header.readUInt32BE(28);
    if (header.readUInt32BE(92) === header.readUInt32BE(24) && pageCount > 0 && size < pageCount * pageSize) {
      return { ok: false, reason: `${file} is truncated: ${size} bytes, but its header says ${pageCount * pageSize}` };
    }

    let db: SqlDriver | undefined;
    try {
      db = openDriver(file, { readonly: true });
      const problems = db
        .prepare('PRAGMA quick_check(5)')
        .all()
        .map((r) => String(Object.values(r)[0]));
      if (problems.length !== 1 || problems[0] !== 'ok') {
        return { ok: false, reason: `${file} failed SQLite's integrity check: ${problems.join('; ')}` };
      }
      const tables = listTables(db);
      if (tables.length === 0) return { ok: true };
      if (!tables.includes('schema_version')) {
        return { ok: false, reason: foreignDatabaseError(file, tables).message };
      }
      // A newer schema is not corruption: open() refuses it with its own message.
      if (currentSchemaVersion(db) > LATEST_SCHEMA_VERSION) return { ok: true };
      const missing = SCHEMA_TABLES.filter((t) => !tables.includes(t));
      if (missing.length > 0) {
        return { ok: false, reason: `${file} is missing track-metrics tables: ${missing.join(', ')}` };
      }
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: `${file} could not be read as a SQLite database: ${(e as Error).message}` };
    } finally {
      db?.close();
    }
  }

  /**
   * Records one build in ONE transaction. A re-run attempt of the same (commit, run id)
   * replaces that build's values; failed metrics are not stored.
   */
  recordBuild(
    context: BuildContext,
    definitions: MetricDefinition[],
    values: CollectedMetric[],
  ): { buildId: number; replaced: boolean } {
    const stored = values.filter((v) => v.ok);
    for (const v of stored) checkValue(v);
    const now = new Date().toISOString();

    return this.db.transaction(() => {
      const upsertDefinition = this.db.prepare(
        `INSERT INTO metric_definitions (name, type, unit, description, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET
           type = excluded.type, unit = excluded.unit, description = excluded.description,
           updated_at = excluded.updated_at
         WHERE type IS NOT excluded.type OR unit IS NOT excluded.unit
            OR description IS NOT excluded.description`,
      );
      for (const d of definitions) {
        upsertDefinition.run(d.name, d.type, d.unit ?? null, d.description ?? null, now, now);
      }

      const existing = this.db
        .prepare('SELECT id FROM builds WHERE commit_sha = ? AND run_id = ?')
        .get(context.commitSha, context.runId);
      // A re-run attempt of the same run (same commit and run id) replaces that build's values.
      const build = this.db
        .prepare(
          `INSERT INTO builds (commit_sha, branch, run_id, run_number, run_attempt, actor, event_name,
             repository, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (commit_sha, run_id) DO UPDATE SET
             branch = excluded.branch, run_number = excluded.run_number, run_attempt = excluded.run_attempt,
             actor = excluded.actor, event_name = excluded.event_name, repository = excluded.repository,
             timestamp = excluded.timestamp
           RETURNING id`,
        )
        .get(
          context.commitSha,
          context.branch,
          context.runId,
          context.runNumber,
          context.runAttempt,
          context.actor,
          context.eventName,
          context.repository,
          context.timestamp,
        );
      const buildId = Number(build?.id);
      this.db.prepare('DELETE FROM metric_values WHERE build_id = ?').run(buildId);

      const metricId = this.db.prepare('SELECT id FROM metric_definitions WHERE name = ?');
      // A value without a definition (should not happen) still gets one, so no result is lost.
      const defineMinimal = this.db.prepare(
        `INSERT INTO metric_definitions (name, type, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO NOTHING`,
      );
      const insertValue = this.db.prepare(
        'INSERT INTO metric_values (build_id, metric_id, value_numeric, value_label) VALUES (?, ?, ?, ?)',
      );
      for (const v of stored) {
        defineMinimal.run(v.name, v.type, now, now);
        const id = Number(metricId.get(v.name)!.id);
        if (typeof v.value === 'number') insertValue.run(buildId, id, v.value, null);
        else insertValue.run(buildId, id, null, v.value as string);
      }
      return { buildId, replaced: !!existing };
    });
  }

  countBuilds(): number {
    return Number(this.db.prepare('SELECT COUNT(*) AS n FROM builds').get()!.n);
  }

  /** The last `limit` builds with a value for the metric, oldest first. */
  history(metricName: string, limit: number): HistoryPoint[] {
    const n = Math.floor(limit);
    if (!(n > 0)) return [];
    return this.db
      .prepare(
        `SELECT * FROM (
           SELECT b.id AS build_id, b.commit_sha, b.run_number, b.timestamp, v.value_numeric, v.value_label
           FROM metric_values v
           JOIN metric_definitions d ON d.id = v.metric_id
           JOIN builds b ON b.id = v.build_id
           WHERE d.name = ?
           ORDER BY b.id DESC
           LIMIT ?
         ) ORDER BY build_id ASC`,
      )
      .all(metricName, n)
      .map((r) => ({
        buildId: Number(r.build_id),
        commitSha: String(r.commit_sha),
        runNumber: Number(r.run_number),
        timestamp: String(r.timestamp),
        value: rowValue(r),
      }));
  }

  /** Over all numeric values of the metric; undefined when it has none. */
  stats(metricName: string): MetricStats | undefined {
    const row = this.db
      .prepare(
        `SELECT MIN(v.value_numeric) AS min, MAX(v.value_numeric) AS max, AVG(v.value_numeric) AS avg,
                COUNT(v.value_numeric) AS count
         FROM metric_values v JOIN metric_definitions d ON d.id = v.metric_id
         WHERE d.name = ? AND v.value_numeric IS NOT NULL`,
      )
      .get(metricName);
    const count = Number(row?.count ?? 0);
    if (!row || count === 0) return undefined;
    return { min: Number(row.min), max: Number(row.max), avg: Number(row.avg), count };
  }

  /** The metric's value in the most recent build before `beforeBuildId` that has one. */
  previousValue(metricName: string, beforeBuildId: number): number | string | undefined {
    const row = this.db
      .prepare(
        `SELECT v.value_numeric, v.value_label
         FROM metric_values v JOIN metric_definitions d ON d.id = v.metric_id
         WHERE d.name = ? AND v.build_id < ?
         ORDER BY v.build_id DESC LIMIT 1`,
      )
      .get(metricName, beforeBuildId);
    return row ? rowValue(row) : undefined;
  }

  /** Closes so that the main file alone holds all data (no -wal or -journal left behind). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      const mode = String(this.db.prepare('PRAGMA journal_mode').get()?.journal_mode ?? '').toLowerCase();
      if (mode === 'wal') {
        this.db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
        this.db.prepare('PRAGMA journal_mode = DELETE').get();
      }
    } finally {
      this.db.close();
    }
  }
}

function rowValue(r: Record<string, unknown>): number | string {
  return r.value_numeric !== null && r.value_numeric !== undefined ? Number(r.value_numeric) : String(r.value_label);
}

function checkValue(v: CollectedMetric): void {
  const fits =
    v.type === 'numeric' ? typeof v.value === 'number' && Number.isFinite(v.value) : typeof v.value === 'string';
  if (!fits) {
    throw new ActionError(
      'INTERNAL',
      `Metric "${v.name}" (${v.type}) has value ${JSON.stringify(v.value)}; expected ${
        v.type === 'numeric' ? 'a finite number' : 'a string'
      }.`,
      { hint: 'This is a bug in track-metrics; please report it with the log.' },
    );
  }
}

function readHead(file: string, bytes: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

function foreignDatabaseError(file: string, tables: string[]): ActionError {
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', ...' : '');
  return new ActionError(
    'DB_CORRUPT',
    `${file} is a SQLite database but not a track-metrics one (it has tables ${shown} and no schema_version).`,
    { hint: 'Point database-path / database-key at the metrics database, or at a new location to start one.' },
  );
}

/** SQLite's "not a database" / "malformed" errors from either driver, as DB_CORRUPT. */
function asCorruptionError(e: unknown, file: string): ActionError | undefined {
  if (e instanceof ActionError) return undefined;
  const err = e as { code?: unknown; errcode?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const primary = typeof err.errcode === 'number' ? err.errcode & 0xff : -1;
  const SQLITE_CORRUPT = 11;
  const SQLITE_NOTADB = 26;
  if (/SQLITE_(CORRUPT|NOTADB)/.test(code) || primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB) {
    return new ActionError('DB_CORRUPT', `${file} is not a usable SQLite database: ${String(err.message)}.`, {
      hint: 'Set on-corrupt-database: recreate to start a new database (the corrupt copy is preserved), or restore a backup.',
      cause: e,
    });
  }
  return undefined;
}
