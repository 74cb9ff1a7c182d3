import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MetricsStore } from '../../src/db/metrics-store';
import { openDriver } from '../../src/db/open-driver';
import { DEFINITIONS, buildContext, label, numeric } from '../helpers/db-scenario';

// Lets better-sqlite3 load from the shipped binaries when jest runs under Node 24.
process.env.UNENTROPY_NATIVE_DIR ??= path.resolve(__dirname, '../../dist/native');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'db-validate-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A real store with enough builds to span many pages. */
function goodDatabase(name = 'good.db', builds = 200): string {
  const file = path.join(dir, name);
  const store = MetricsStore.open(file);
  for (let i = 0; i < builds; i++) {
    store.recordBuild(buildContext({ runId: `${i}` }), DEFINITIONS, [
      numeric('coverage', i / 3),
      label('status', crypto.randomBytes(40).toString('hex')),
    ]);
  }
  store.close();
  return file;
}

/** validateFile must never change what it inspects. */
function validateUnchanged(file: string): ReturnType<typeof MetricsStore.validateFile> {
  const before = fs.readFileSync(file);
  const result = MetricsStore.validateFile(file);
  expect(fs.readFileSync(file).equals(before)).toBe(true);
  return result;
}

function expectNotOk(result: ReturnType<typeof MetricsStore.validateFile>, pattern: RegExp, file: string): void {
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.reason).toMatch(pattern);
    expect(result.reason).toContain(file);
  }
}

test('a good database is ok', () => {
  const file = goodDatabase();
  expect(validateUnchanged(file)).toEqual({ ok: true });
  expect(fs.readdirSync(dir)).toEqual(['good.db']);
});

test('a SQLite database without tables is ok (nothing to lose)', () => {
  const file = path.join(dir, 'blank.db');
  const raw = openDriver(file);
  raw.exec('PRAGMA user_version = 3'); // writes the header page, creates no table
  raw.close();
  expect(fs.statSync(file).size).toBeGreaterThan(0);
  expect(validateUnchanged(file)).toEqual({ ok: true });
});

test('random bytes are not a database', () => {
  const file = path.join(dir, 'random.db');
  fs.writeFileSync(file, crypto.randomBytes(8192));
  expectNotOk(validateUnchanged(file), /not a SQLite database/, file);
});

test('an empty (0-byte) file is not ok', () => {
  const file = path.join(dir, 'empty.db');
  fs.writeFileSync(file, '');
  expectNotOk(validateUnchanged(file), /empty \(0 bytes\)/, file);
});

test('a missing file is not ok', () => {
  const file = path.join(dir, 'absent.db');
  expectNotOk(MetricsStore.validateFile(file), /cannot read/, file);
});

test.each([
  ['mid-page', (size: number) => Math.floor(size / 2) + 123],
  ['at a page boundary', (size: number) => size - 4096 * 3],
  ['inside the header', () => 60],
])('a database truncated %s is not ok', (_where, cut) => {
  const file = goodDatabase('cut.db');
  const size = fs.statSync(file).size;
  expect(size).toBeGreaterThan(4096 * 4);
  fs.truncateSync(file, cut(size));
  expectNotOk(validateUnchanged(file), /truncated/, file);
});

test('a database with a damaged page fails the integrity check', () => {
  const file = goodDatabase('damaged.db');
  const bytes = fs.readFileSync(file);
  const pageSize = bytes.readUInt16BE(16);
  // overwrite the third page (a b-tree page of our tables) with noise, size unchanged
  crypto.randomBytes(pageSize).copy(bytes, pageSize * 2);
  fs.writeFileSync(file, bytes);
  expectNotOk(validateUnchanged(file), /integrity check|could not be read|malformed/i, file);
});

test("another application's SQLite database is not ok", () => {
  const file = path.join(dir, 'other.db');
  const raw = openDriver(file);
  raw.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES (\'hello\')');
  raw.close();
  expectNotOk(validateUnchanged(file), /not a track-metrics one.*notes/, file);
});

test('a track-metrics database missing one of its tables is not ok', () => {
  const file = goodDatabase('partial.db', 1);
  const raw = openDriver(file);
  raw.exec('PRAGMA foreign_keys = OFF; DROP TABLE metric_values');
  raw.close();
  expectNotOk(validateUnchanged(file), /missing track-metrics tables: metric_values/, file);
});

test('a database from a newer version is valid (open() refuses it with its own message)', () => {
  const file = goodDatabase('newer.db', 1);
  const raw = openDriver(file);
  raw.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(999, 'later');
  raw.close();
  expect(validateUnchanged(file)).toEqual({ ok: true });
  expect(() => MetricsStore.open(file)).toThrow(/newer than this action supports/);
});
