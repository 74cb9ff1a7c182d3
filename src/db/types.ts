/**
 * The few SQLite operations we use, so the store runs on better-sqlite3 (native, bundled per
 * Node ABI) or on node:sqlite (Node 22.5+, no native binary) behind one interface.
 */
export type SqlValue = number | string | bigint | null | Uint8Array;

export interface SqlStatement {
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: SqlValue[]): Record<string, unknown> | undefined;
  all(...params: SqlValue[]): Array<Record<string, unknown>>;
}

export interface SqlDriver {
  /** 'better-sqlite3' or 'node:sqlite' */
  readonly name: string;
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  /** runs fn inside BEGIN IMMEDIATE ... COMMIT, rolling back on throw */
  transaction<T>(fn: () => T): T;
  close(): void;
}
