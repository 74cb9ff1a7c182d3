import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openDriver, shippedBinaryCandidates } from '../../src/db/open-driver';
import { ActionError } from '../../src/errors';

const NATIVE_DIR = path.resolve(__dirname, '../../dist/native');
const ABI_NAME = `better_sqlite3-abi${process.versions.modules}-linux-x64.node`;
const hasShippedBinary = fs.existsSync(path.join(NATIVE_DIR, ABI_NAME));

let dir: string;
const saved = { driver: process.env.UNENTROPY_SQLITE_DRIVER, dir: process.env.UNENTROPY_NATIVE_DIR };
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'db-driver-'));
  delete process.env.UNENTROPY_SQLITE_DRIVER;
  delete process.env.UNENTROPY_NATIVE_DIR;
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [name, value] of [['UNENTROPY_SQLITE_DRIVER', saved.driver], ['UNENTROPY_NATIVE_DIR', saved.dir]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function nodeSqliteBuiltIn(): boolean {
  try {
    require('node:sqlite');
    return true;
  } catch {
    return false;
  }
}

(process.platform === 'linux' && process.arch === 'x64' && hasShippedBinary ? test : test.skip)(
  'prefers the shipped binary for this Node ABI from UNENTROPY_NATIVE_DIR',
  () => {
    process.env.UNENTROPY_NATIVE_DIR = NATIVE_DIR;
    expect(shippedBinaryCandidates()).toEqual([path.join(NATIVE_DIR, ABI_NAME)]);
    const lines: string[] = [];
    const db = openDriver(path.join(dir, 'a.db'), { log: (l) => lines.push(l) });
    expect(db.name).toBe('better-sqlite3');
    expect(lines).toEqual([`SQLite driver: better-sqlite3 (${path.join(NATIVE_DIR, ABI_NAME)})`]);
    db.close();
  },
);

test('a shipped binary that cannot load falls back to another driver', () => {
  // A file with the right name but no loadable code: what an ABI/OS mismatch looks like.
  const fake = path.join(dir, 'native');
  fs.mkdirSync(fake);
  fs.writeFileSync(path.join(fake, ABI_NAME), crypto.randomBytes(4096));
  process.env.UNENTROPY_NATIVE_DIR = fake;
  const lines: string[] = [];
  let db;
  try {
    db = openDriver(path.join(dir, 'b.db'), { log: (l) => lines.push(l) });
  } catch (e) {
    // neither the node_modules build nor node:sqlite fits this runtime: the error must say why
    expect(e).toBeInstanceOf(ActionError);
    expect((e as ActionError).message).toContain(`${ABI_NAME} did not load`);
    return;
  }
  expect(lines[0]).not.toContain(fake);
  expect(lines[0]).toMatch(/^SQLite driver: (better-sqlite3 \(node_modules build\)|node:sqlite)$/);
  db.exec('CREATE TABLE t (x)');
  db.close();
});

test('UNENTROPY_SQLITE_DRIVER with an unknown value is refused, naming the variable and the choices', () => {
  process.env.UNENTROPY_SQLITE_DRIVER = 'sqlite4';
  expect(() => openDriver(path.join(dir, 'c.db'))).toThrow(
    expect.objectContaining({ code: 'INTERNAL', message: expect.stringMatching(/UNENTROPY_SQLITE_DRIVER is "sqlite4".*better-sqlite3, node:sqlite/) }),
  );
});

(nodeSqliteBuiltIn() ? test.skip : test)('forcing node:sqlite where Node lacks it explains what is needed', () => {
  process.env.UNENTROPY_SQLITE_DRIVER = 'node:sqlite';
  let error: unknown;
  try {
    openDriver(path.join(dir, 'd.db'));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ActionError);
  expect((error as ActionError).code).toBe('INTERNAL');
  expect((error as ActionError).message).toContain(`Node ${process.versions.node}`);
  expect((error as ActionError).fullMessage).toMatch(/Node 22\.13 or newer/);
  expect(fs.existsSync(path.join(dir, 'd.db'))).toBe(false);
});

// The adapter contract, on each driver that loads here.
const drivers = ['better-sqlite3', 'node:sqlite'].filter((d) => {
  process.env.UNENTROPY_SQLITE_DRIVER = d;
  process.env.UNENTROPY_NATIVE_DIR = NATIVE_DIR;
  try {
    openDriver(':memory:').close();
    return true;
  } catch {
    return false;
  } finally {
    delete process.env.UNENTROPY_SQLITE_DRIVER;
    delete process.env.UNENTROPY_NATIVE_DIR;
  }
});

describe.each(drivers)('%s adapter', (driver) => {
  beforeEach(() => {
    process.env.UNENTROPY_SQLITE_DRIVER = driver;
    process.env.UNENTROPY_NATIVE_DIR = NATIVE_DIR;
  });

  test('positional parameters, plain row objects and numbers for safe integers', () => {
    const db = openDriver(path.join(dir, 'p.db'));
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT, r REAL)');
    const big = BigInt(Number.MAX_SAFE_INTEGER) + 10n;
    const insert = db.prepare('INSERT INTO t (n, s, r) VALUES (?, ?, ?)');
    const first = insert.run(7n, 'seven', 0.5);
    expect(first).toEqual({ changes: 1, lastInsertRowid: 1 });
    insert.run(big, null, 1e300);
    const row = db.prepare('SELECT n, s, r FROM t WHERE id = ?').get(1)!;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(row).toEqual({ n: 7, s: 'seven', r: 0.5 });
    expect(db.prepare('SELECT id FROM t ORDER BY id').all()).toEqual([{ id: 1 }, { id: 2 }]);
    expect(db.prepare('SELECT s FROM t WHERE id = ?').get(99)).toBeUndefined();
    db.close();
    db.close(); // idempotent
  });

  test('transaction commits, and rolls back everything on throw', () => {
    const file = path.join(dir, 'tx.db');
    const db = openDriver(file);
    db.exec('CREATE TABLE t (x INTEGER)');
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    expect(db.transaction(() => (insert.run(1), insert.run(2), 'done'))).toBe('done');
    expect(() =>
      db.transaction(() => {
        insert.run(3);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    // a second connection sees only committed rows, so nothing is left locked or pending
    const other = openDriver(file);
    expect(other.prepare('SELECT x FROM t ORDER BY x').all()).toEqual([{ x: 1 }, { x: 2 }]);
    other.close();
    db.exec('INSERT INTO t (x) VALUES (4)'); // not stuck inside a transaction
    db.close();
  });

  test('transaction takes the write lock up front (BEGIN IMMEDIATE)', () => {
    const file = path.join(dir, 'lock.db');
    const a = openDriver(file);
    a.exec('CREATE TABLE t (x INTEGER); PRAGMA busy_timeout = 0');
    const b = openDriver(file);
    b.exec('PRAGMA busy_timeout = 0');
    a.transaction(() => {
      // no write yet inside a's transaction, but b must already be locked out
      expect(() => b.transaction(() => b.prepare('SELECT 1').get())).toThrow(/locked|busy/i);
    });
    b.transaction(() => b.exec('INSERT INTO t VALUES (1)'));
    a.close();
    b.close();
  });

  test('readonly opens refuse writes and do not create missing files', () => {
    const file = path.join(dir, 'ro.db');
    expect(() => openDriver(file, { readonly: true })).toThrow();
    expect(fs.existsSync(file)).toBe(false);
    const w = openDriver(file);
    w.exec('CREATE TABLE t (x)');
    w.close();
    const r = openDriver(file, { readonly: true });
    expect(() => r.exec('INSERT INTO t VALUES (1)')).toThrow(/readonly|read-only/i);
    r.close();
  });
});
