import * as fs from 'fs';
import * as path from 'path';
import { ActionError } from '../errors';
import type { SqlDriver, SqlStatement, SqlValue } from './types';

/**
 * Opens a SQLite file with the first driver that loads here:
 *   1. better-sqlite3 with the binary shipped for this Node ABI (dist/native/, or UNENTROPY_NATIVE_DIR),
 *   2. better-sqlite3 as installed in node_modules (unbundled runs, e.g. tests),
 *   3. node:sqlite (Node 22.13+, or 22.5+ with --experimental-sqlite), which needs no native binary.
 * UNENTROPY_SQLITE_DRIVER=better-sqlite3|node:sqlite forces one (for tests).
 */

export type DriverName = 'better-sqlite3' | 'node:sqlite';
export const DRIVER_NAMES: readonly DriverName[] = ['better-sqlite3', 'node:sqlite'];

export interface OpenDriverOptions {
  readonly?: boolean;
  log?: (line: string) => void;
}

// Webpack (ncc) replaces __non_webpack_require__ with Node's own require; elsewhere it is undefined.
declare const __non_webpack_require__: NodeJS.Require | undefined;
const runtimeRequire: NodeJS.Require =
  typeof __non_webpack_require__ === 'function' ? __non_webpack_require__ : require;

export function openDriver(file: string, options: OpenDriverOptions = {}): SqlDriver {
  const log = options.log ?? (() => undefined);
  const forced = process.env.UNENTROPY_SQLITE_DRIVER?.trim();
  if (forced && !DRIVER_NAMES.includes(forced as DriverName)) {
    throw new ActionError(
      'INTERNAL',
      `UNENTROPY_SQLITE_DRIVER is "${forced}"; expected one of: ${DRIVER_NAMES.join(', ')}.`,
      { hint: 'Unset it to let track-metrics choose a SQLite driver.' },
    );
  }

  const failures: string[] = [];
  if (!forced || forced === 'better-sqlite3') {
    const loaded = loadBetterSqlite3(failures);
    if (loaded) {
      log(`SQLite driver: better-sqlite3 (${loaded.source})`);
      return betterSqlite3Driver(loaded.Database, loaded.nativeBinding, file, options.readonly ?? false);
    }
  }
  if (!forced || forced === 'node:sqlite') {
    const mod = loadNodeSqlite(failures);
    if (mod) {
      log('SQLite driver: node:sqlite');
      return nodeSqliteDriver(mod, file, options.readonly ?? false);
    }
  }
  throw new ActionError(
    'INTERNAL',
    `No SQLite driver could load on ${process.platform}-${process.arch} with Node ${process.versions.node}` +
      `${forced ? ` (UNENTROPY_SQLITE_DRIVER=${forced})` : ''}: ${failures.join('; ')}.`,
    {
      hint:
        'The bundled better-sqlite3 binary covers linux-x64 on Node 20 and 24; elsewhere track-metrics ' +
        'needs Node 22.13 or newer for the built-in node:sqlite module.',
    },
  );
}

/** Where a shipped better-sqlite3 binary for this runtime would be, if it is there. */
export function shippedBinaryCandidates(): string[] {
  if (process.platform !== 'linux' || process.arch !== 'x64') return [];
  const name = `better_sqlite3-abi${process.versions.modules}-linux-x64.node`;
  const dirs = [process.env.UNENTROPY_NATIVE_DIR, path.join(__dirname, 'native')].filter(
    (d): d is string => !!d,
  );
  return dirs.map((d) => path.join(d, name)).filter((f) => fs.existsSync(f));
}

// ---------------------------------------------------------------------------------------------
// better-sqlite3

type BetterSqlite3Ctor = typeof import('better-sqlite3');

interface LoadedBetterSqlite3 {
  Database: BetterSqlite3Ctor;
  nativeBinding?: string;
  source: string;
}

function loadBetterSqlite3(failures: string[]): LoadedBetterSqlite3 | undefined {
  const Database = requireBetterSqlite3(failures);
  if (!Database) return undefined;
  // Probe with an in-memory database so a failure here means "addon did not load",
  // not "this file is bad" (which must surface as it is, not trigger a fallback).
  // Cheap after the first time: Node caches a loaded addon.
  for (const binary of shippedBinaryCandidates()) {
    try {
      new Database(':memory:', { nativeBinding: binary }).close();
      return { Database, nativeBinding: binary, source: binary };
    } catch (e) {
      failures.push(`better-sqlite3 binary ${binary} did not load (${firstLine(e)})`);
    }
  }
  try {
    new Database(':memory:').close();
    return { Database, source: 'node_modules build' };
  } catch (e) {
    failures.push(`better-sqlite3 did not load (${firstLine(e)})`);
    return undefined;
  }
}

function requireBetterSqlite3(failures: string[]): BetterSqlite3Ctor | undefined {
  try {
    // A static require, so ncc bundles the JavaScript part.
    return require('better-sqlite3') as BetterSqlite3Ctor;
  } catch (e) {
    failures.push(`better-sqlite3 is not available (${firstLine(e)})`);
    return undefined;
  }
}

function betterSqlite3Driver(
  Database: BetterSqlite3Ctor,
  nativeBinding: string | undefined,
  file: string,
  readonly: boolean,
): SqlDriver {
  const db = new Database(file, {
    readonly,
    fileMustExist: readonly,
    ...(nativeBinding ? { nativeBinding } : {}),
  });
  return {
    name: 'better-sqlite3',
    exec: (sql) => void db.exec(sql),
    prepare(sql): SqlStatement {
      const stmt = db.prepare(sql);
      // Statements that return no rows (DDL, PRAGMA setters) reject .get/.all in better-sqlite3.
      return {
        run: (...params) => normaliseRunResult(stmt.run(...params)),
        get: (...params) => normaliseRow(stmt.get(...params) as Record<string, unknown> | undefined),
        all: (...params) => (stmt.all(...params) as Array<Record<string, unknown>>).map((r) => normaliseRow(r)!),
      };
    },
    transaction: (fn) => runInTransaction((sql) => db.exec(sql), fn),
    close: () => {
      if (db.open) db.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// node:sqlite (typed locally: @types/node 20 does not describe it)

interface NodeSqliteStatement {
  run(...params: SqlValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: SqlValue[]): Record<string, unknown> | undefined;
  all(...params: SqlValue[]): Array<Record<string, unknown>>;
}
interface NodeSqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): NodeSqliteStatement;
  close(): void;
  readonly isOpen?: boolean;
}
interface NodeSqliteModule {
  DatabaseSync: new (file: string, options?: { readOnly?: boolean }) => NodeSqliteDatabase;
}

function loadNodeSqlite(failures: string[]): NodeSqliteModule | undefined {
  try {
    // Through the runtime's require: bundlers must not try to resolve a builtin that Node 20 lacks.
    return runtimeRequire('node:sqlite') as NodeSqliteModule;
  } catch (e) {
    failures.push(`node:sqlite is not available in Node ${process.versions.node} (${firstLine(e)})`);
    return undefined;
  }
}

function nodeSqliteDriver(mod: NodeSqliteModule, file: string, readonly: boolean): SqlDriver {
  if (!readonly && !fs.existsSync(path.dirname(path.resolve(file)))) {
    // Match better-sqlite3, whose message names the cause rather than "unable to open database file".
    throw new TypeError(`Cannot open database because the directory does not exist: ${path.dirname(file)}`);
  }
  const db = new mod.DatabaseSync(file, { readOnly: readonly });
  let open = true;
  return {
    name: 'node:sqlite',
    exec: (sql) => db.exec(sql),
    prepare(sql): SqlStatement {
      const stmt = db.prepare(sql);
      return {
        run: (...params) => normaliseRunResult(stmt.run(...params)),
        get: (...params) => normaliseRow(stmt.get(...params)),
        all: (...params) => stmt.all(...params).map((r) => normaliseRow(r)!),
      };
    },
    transaction: (fn) => runInTransaction((sql) => db.exec(sql), fn),
    close: () => {
      if (open) {
        open = false;
        db.close();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// shared

function runInTransaction<T>(exec: (sql: string) => void, fn: () => T): T {
  exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    if (result && typeof (result as { then?: unknown }).then === 'function') {
      throw new TypeError('transaction callbacks must be synchronous');
    }
    exec('COMMIT');
    return result;
  } catch (e) {
    try {
      exec('ROLLBACK');
    } catch {
      // SQLite may already have rolled back (e.g. after SQLITE_FULL); the original error matters.
    }
    throw e;
  }
}

/** Integers come back as number when exact, as bigint only when they would lose precision. */
function toNumberIfSafe(v: unknown): unknown {
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) {
    return Number(v);
  }
  return v;
}

function normaliseRunResult(r: { changes: number | bigint; lastInsertRowid: number | bigint }): {
  changes: number;
  lastInsertRowid: number | bigint;
} {
  return { changes: Number(r.changes), lastInsertRowid: toNumberIfSafe(r.lastInsertRowid) as number | bigint };
}

/** Plain objects (node:sqlite returns null-prototype rows) with safe integers as numbers. */
function normaliseRow(row: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!row) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(row)) out[key] = toNumberIfSafe(row[key]);
  return out;
}

function firstLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n')[0];
}
