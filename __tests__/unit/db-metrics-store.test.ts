import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MetricsStore } from '../../src/db/metrics-store';
import { LATEST_SCHEMA_VERSION } from '../../src/db/migrations';
import { openDriver } from '../../src/db/open-driver';
import { ActionError } from '../../src/errors';
import { DEFINITIONS, buildContext, failed, label, numeric } from '../helpers/db-scenario';

// Every driver that loads in this jest process. `npx jest` may run under Node 20 or under the
// Node 24 from node_modules/.bin; better-sqlite3 then loads from the shipped dist/native binary.
// node:sqlite under Node 24 is also covered through the bundle in db-bundle-drivers.test.ts.
const NATIVE_DIR = path.resolve(__dirname, '../../dist/native');

function withDriverEnv<T>(driver: string, fn: () => T): T {
  const saved = { driver: process.env.UNENTROPY_SQLITE_DRIVER, dir: process.env.UNENTROPY_NATIVE_DIR };
  process.env.UNENTROPY_SQLITE_DRIVER = driver;
  process.env.UNENTROPY_NATIVE_DIR = NATIVE_DIR;
  try {
    return fn();
  } finally {
    restore('UNENTROPY_SQLITE_DRIVER', saved.driver);
    restore('UNENTROPY_NATIVE_DIR', saved.dir);
  }
}
function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
function loads(driver: string): boolean {
  try {
    withDriverEnv(driver, () => openDriver(':memory:').close());
    return true;
  } catch {
    return false;
  }
}
const drivers = ['better-sqlite3', 'node:sqlite'].filter(loads);
const missing = ['better-sqlite3', 'node:sqlite'].filter((d) => !drivers.includes(d));

for (const d of missing) {
  test.skip(`MetricsStore on ${d}: does not load under Node ${process.versions.node} here`, () => undefined);
}
test('at least one driver loads in this process', () => {
  expect(drivers.length).toBeGreaterThan(0);
});

function rawQuery(file: string, sql: string, ...params: Array<string | number>): Array<Record<string, unknown>> {
  const db = openDriver(file);
  try {
    return db.prepare(sql).all(...params);
  } finally {
    db.close();
  }
}

describe.each(drivers)('MetricsStore on %s', (driver) => {
  let dir: string;
  let file: string;
  const saved = { driver: process.env.UNENTROPY_SQLITE_DRIVER, dir: process.env.UNENTROPY_NATIVE_DIR };

  beforeAll(() => {
    process.env.UNENTROPY_SQLITE_DRIVER = driver;
    process.env.UNENTROPY_NATIVE_DIR = NATIVE_DIR;
  });
  afterAll(() => {
    restore('UNENTROPY_SQLITE_DRIVER', saved.driver);
    restore('UNENTROPY_NATIVE_DIR', saved.dir);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'db-store-'));
    file = path.join(dir, 'metrics.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('uses the requested driver and logs it', () => {
    const lines: string[] = [];
    const store = MetricsStore.open(file, { log: (l) => lines.push(l) });
    expect(store.driverName).toBe(driver);
    expect(lines.join('\n')).toContain(`SQLite driver: ${driver}`);
    store.close();
  });

  test('migrations create the schema once; reopening is idempotent and keeps data', () => {
    const store = MetricsStore.open(file);
    store.recordBuild(buildContext(), DEFINITIONS, [numeric('coverage', 42)]);
    store.close();

    const tables = rawQuery(file, "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name").map((r) => r.name);
    expect(tables).toEqual(['builds', 'metric_definitions', 'metric_values', 'schema_version']);
    const indexes = rawQuery(file, "SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'idx_%'").map((r) => r.name);
    expect(indexes).toContain('idx_metric_values_metric_build');

    const logs: string[] = [];
    const again = MetricsStore.open(file, { log: (l) => logs.push(l) });
    expect(logs.some((l) => l.includes('migrated'))).toBe(false);
    expect(again.countBuilds()).toBe(1);
    expect(again.history('coverage', 10).map((h) => h.value)).toEqual([42]);
    again.close();
    const versions = rawQuery(file, 'SELECT version FROM schema_version').map((r) => r.version);
    expect(versions).toEqual([LATEST_SCHEMA_VERSION]);
  });

  test('recordBuild stores the build, definitions and values', () => {
    const store = MetricsStore.open(file);
    const ctx = buildContext({ commitSha: 'c'.repeat(40), runId: '77', runNumber: 9, branch: 'feature/x', actor: 'me' });
    const result = store.recordBuild(ctx, DEFINITIONS, [numeric('coverage', 12.5), label('status', 'green'), numeric('loc', 3)]);
    expect(result.replaced).toBe(false);
    expect(store.countBuilds()).toBe(1);
    store.close();

    const [build] = rawQuery(file, 'SELECT * FROM builds');
    expect(build).toMatchObject({
      id: result.buildId, commit_sha: ctx.commitSha, run_id: '77', run_number: 9, run_attempt: 1,
      branch: 'feature/x', actor: 'me', event_name: ctx.eventName, repository: ctx.repository, timestamp: ctx.timestamp,
    });
    const defs = rawQuery(file, 'SELECT name, type, unit, description FROM metric_definitions ORDER BY name');
    expect(defs).toEqual([
      { name: 'coverage', type: 'numeric', unit: '%', description: 'Line coverage' },
      { name: 'loc', type: 'numeric', unit: null, description: null },
      { name: 'status', type: 'label', unit: null, description: null },
    ]);
    const values = rawQuery(
      file,
      'SELECT d.name, v.value_numeric, v.value_label FROM metric_values v JOIN metric_definitions d ON d.id = v.metric_id ORDER BY d.name',
    );
    expect(values).toEqual([
      { name: 'coverage', value_numeric: 12.5, value_label: null },
      { name: 'loc', value_numeric: 3, value_label: null },
      { name: 'status', value_numeric: null, value_label: 'green' },
    ]);
  });

  test('a re-run attempt of the same run replaces the build instead of adding one', () => {
    const store = MetricsStore.open(file);
    const first = store.recordBuild(buildContext({ runAttempt: 1 }), DEFINITIONS, [numeric('coverage', 10), label('status', 'red')]);
    const rerun = store.recordBuild(
      buildContext({ runAttempt: 2, timestamp: '2024-02-02T00:00:00.000Z' }),
      DEFINITIONS,
      [numeric('coverage', 20)],
    );
    expect(rerun).toEqual({ buildId: first.buildId, replaced: true });
    expect(store.countBuilds()).toBe(1);
    expect(store.history('coverage', 10).map((h) => [h.value, h.timestamp])).toEqual([[20, '2024-02-02T00:00:00.000Z']]);
    // values of the replaced attempt are gone, not merged
    expect(store.history('status', 10)).toEqual([]);
    store.close();
    expect(rawQuery(file, 'SELECT run_attempt FROM builds')).toEqual([{ run_attempt: 2 }]);
  });

  test('a different run id (or commit) adds a build', () => {
    const store = MetricsStore.open(file);
    const a = store.recordBuild(buildContext({ runId: '1' }), DEFINITIONS, [numeric('coverage', 1)]);
    const b = store.recordBuild(buildContext({ runId: '2' }), DEFINITIONS, [numeric('coverage', 2)]);
    const c = store.recordBuild(buildContext({ runId: '2', commitSha: 'f'.repeat(40) }), DEFINITIONS, [numeric('coverage', 3)]);
    expect(new Set([a.buildId, b.buildId, c.buildId]).size).toBe(3);
    expect([a.replaced, b.replaced, c.replaced]).toEqual([false, false, false]);
    expect(store.countBuilds()).toBe(3);
    store.close();
  });

  test('history returns the last N builds with a value, oldest first', () => {
    const store = MetricsStore.open(file);
    const values = Array.from({ length: 12 }, (_, i) => Math.round(Math.random() * 10000) / 100);
    const ids: number[] = [];
    values.forEach((v, i) => {
      // every 4th build has the metric failing: those builds must not appear
      const metric = i % 4 === 3 ? failed('coverage') : numeric('coverage', v);
      ids.push(store.recordBuild(buildContext({ runId: `r${i}`, runNumber: i + 1 }), DEFINITIONS, [metric]).buildId);
    });
    const withValue = values.map((v, i) => ({ v, i, id: ids[i] })).filter((x) => x.i % 4 !== 3);

    const last5 = store.history('coverage', 5);
    expect(last5.map((h) => h.buildId)).toEqual(withValue.slice(-5).map((x) => x.id));
    expect(last5.map((h) => h.value)).toEqual(withValue.slice(-5).map((x) => x.v));
    expect(last5.map((h) => h.runNumber)).toEqual(withValue.slice(-5).map((x) => x.i + 1));
    expect(store.history('coverage', 100)).toHaveLength(withValue.length);
    expect(store.history('coverage', 0)).toEqual([]);
    expect(store.history('no-such-metric', 5)).toEqual([]);
    store.close();
  });

  test('stats cover numeric values only', () => {
    const store = MetricsStore.open(file);
    const values = Array.from({ length: 7 }, () => Math.round((Math.random() * 200 - 100) * 1000) / 1000);
    values.forEach((v, i) =>
      store.recordBuild(buildContext({ runId: `r${i}` }), DEFINITIONS, [numeric('coverage', v), label('status', `l${i}`)]),
    );
    const stats = store.stats('coverage')!;
    expect(stats.count).toBe(values.length);
    expect(stats.min).toBe(Math.min(...values));
    expect(stats.max).toBe(Math.max(...values));
    expect(stats.avg).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
    expect(store.stats('status')).toBeUndefined();
    expect(store.stats('no-such-metric')).toBeUndefined();
    store.close();
  });

  test('previousValue is the value in the most recent earlier build that has one', () => {
    const store = MetricsStore.open(file);
    const b1 = store.recordBuild(buildContext({ runId: '1' }), DEFINITIONS, [numeric('coverage', 11), label('status', 'a')]);
    const b2 = store.recordBuild(buildContext({ runId: '2' }), DEFINITIONS, [failed('coverage'), label('status', 'b')]);
    const b3 = store.recordBuild(buildContext({ runId: '3' }), DEFINITIONS, [numeric('coverage', 33), label('status', 'c')]);
    expect(store.previousValue('coverage', b1.buildId)).toBeUndefined();
    expect(store.previousValue('coverage', b3.buildId)).toBe(11);
    expect(store.previousValue('status', b3.buildId)).toBe('b');
    expect(store.previousValue('status', b2.buildId)).toBe('a');
    expect(store.previousValue('coverage', b3.buildId + 1)).toBe(33);
    store.close();
  });

  test('failed metrics are not stored', () => {
    const store = MetricsStore.open(file);
    store.recordBuild(buildContext(), DEFINITIONS, [numeric('coverage', 5), failed('loc'), failed('status', 'label')]);
    expect(store.history('loc', 10)).toEqual([]);
    expect(store.history('status', 10)).toEqual([]);
    store.close();
    expect(rawQuery(file, 'SELECT COUNT(*) AS n FROM metric_values')).toEqual([{ n: 1 }]);
  });

  test('a metric changing type keeps its history and updates the definition', () => {
    const store = MetricsStore.open(file);
    store.recordBuild(buildContext({ runId: '1' }), DEFINITIONS, [numeric('loc', 100)]);
    const asLabel = DEFINITIONS.map((d) => (d.name === 'loc' ? { ...d, type: 'label' as const } : d));
    store.recordBuild(buildContext({ runId: '2' }), asLabel, [label('loc', 'many')]);
    expect(store.history('loc', 10).map((h) => h.value)).toEqual([100, 'many']);
    expect(store.stats('loc')).toEqual({ min: 100, max: 100, avg: 100, count: 1 });
    store.close();
    expect(rawQuery(file, "SELECT type FROM metric_definitions WHERE name = 'loc'")).toEqual([{ type: 'label' }]);
  });

  test('recordBuild is one transaction: a failure midway leaves nothing behind', () => {
    const store = MetricsStore.open(file);
    store.recordBuild(buildContext({ runId: '1' }), DEFINITIONS, [numeric('coverage', 1)]);
    // the CHECK on metric_definitions.type fails after other rows were already written
    const bad = [...DEFINITIONS, { name: 'zz-new', type: 'bogus' as 'label', command: 'x' }];
    expect(() => store.recordBuild(buildContext({ runId: '2' }), bad, [numeric('coverage', 2)])).toThrow();
    expect(store.countBuilds()).toBe(1);
    // the store is still usable afterwards
    store.recordBuild(buildContext({ runId: '3' }), DEFINITIONS, [numeric('coverage', 3)]);
    expect(store.history('coverage', 10).map((h) => h.value)).toEqual([1, 3]);
    store.close();
    expect(rawQuery(file, "SELECT COUNT(*) AS n FROM metric_definitions WHERE name = 'zz-new'")).toEqual([{ n: 0 }]);
  });

  test('a non-finite numeric value is refused before anything is written', () => {
    const store = MetricsStore.open(file);
    let error: unknown;
    try {
      store.recordBuild(buildContext(), DEFINITIONS, [numeric('coverage', Number.NaN)]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActionError);
    expect((error as ActionError).code).toBe('INTERNAL');
    expect((error as ActionError).message).toContain('coverage');
    expect(store.countBuilds()).toBe(0);
    store.close();
  });

  test('after close the main file alone holds all data', () => {
    const store = MetricsStore.open(file);
    for (let i = 0; i < 30; i++) {
      store.recordBuild(buildContext({ runId: `${i}` }), DEFINITIONS, [numeric('coverage', i), label('status', `s${i}`)]);
    }
    const before = store.history('status', 100);
    store.close();
    store.close(); // idempotent
    expect(fs.readdirSync(dir)).toEqual(['metrics.db']);
    // header bytes 18/19: 1 = rollback journal, 2 = WAL
    const header = fs.readFileSync(file).subarray(0, 20);
    expect([header[18], header[19]]).toEqual([1, 1]);

    const copyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'db-copy-'));
    try {
      const copy = path.join(copyDir, 'copy.db');
      fs.copyFileSync(file, copy);
      const reopened = MetricsStore.open(copy);
      expect(reopened.countBuilds()).toBe(30);
      expect(reopened.history('status', 100)).toEqual(before);
      reopened.close();
    } finally {
      fs.rmSync(copyDir, { recursive: true, force: true });
    }
  });

  test('a file left in WAL mode by another writer is switched back to a single file', () => {
    const raw = openDriver(file);
    raw.prepare('PRAGMA journal_mode = WAL').get();
    raw.close();
    expect(fs.readFileSync(file)[18]).toBe(2);

    const store = MetricsStore.open(file);
    store.recordBuild(buildContext(), DEFINITIONS, [numeric('coverage', 7)]);
    store.close();
    expect(fs.readdirSync(dir)).toEqual(['metrics.db']);
    expect(fs.readFileSync(file)[18]).toBe(1);
    const copy = path.join(dir, '..', `${path.basename(dir)}-only-main.db`);
    fs.copyFileSync(file, copy);
    try {
      const reopened = MetricsStore.open(copy);
      expect(reopened.history('coverage', 5).map((h) => h.value)).toEqual([7]);
      reopened.close();
    } finally {
      fs.rmSync(copy, { force: true });
    }
  });

  test('a database with a newer schema version is refused and left byte-for-byte unchanged', () => {
    const store = MetricsStore.open(file);
    store.recordBuild(buildContext(), DEFINITIONS, [numeric('coverage', 1)]);
    store.close();
    const newer = LATEST_SCHEMA_VERSION + 1 + Math.floor(Math.random() * 50);
    const raw = openDriver(file);
    raw.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(newer, 'later');
    raw.close();
    const bytes = fs.readFileSync(file);

    let error: unknown;
    try {
      MetricsStore.open(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActionError);
    expect((error as ActionError).code).toBe('INTERNAL');
    expect((error as ActionError).message).toContain(`schema version ${newer}`);
    expect((error as ActionError).message).toContain(`(${LATEST_SCHEMA_VERSION})`);
    expect((error as ActionError).fullMessage).toMatch(/upgrade/i);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['metrics.db']);
  });

  test("another application's SQLite database is refused as DB_CORRUPT without changing it", () => {
    const raw = openDriver(file);
    raw.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES (\'x\')');
    raw.close();
    const bytes = fs.readFileSync(file);
    expect(() => MetricsStore.open(file)).toThrow(expect.objectContaining({ code: 'DB_CORRUPT', message: expect.stringContaining('customers') }));
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  test('a file that is not SQLite is refused as DB_CORRUPT', () => {
    fs.writeFileSync(file, Buffer.from('this is not a database at all, just text that is long enough'.repeat(100)));
    expect(() => MetricsStore.open(file)).toThrow(expect.objectContaining({ code: 'DB_CORRUPT', message: expect.stringContaining(file) }));
  });
});
