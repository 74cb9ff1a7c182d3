import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runScenario } from '../helpers/db-scenario';

/**
 * The store as the action ships it: bundled by ncc (no node_modules at run time), run under
 * Node 20 and Node 24, on each driver, with the same results as in this process.
 */
const ROOT = path.resolve(__dirname, '../..');
const NATIVE_DIR = path.join(ROOT, 'dist/native');
const NODE24 = path.join(ROOT, '.tmp/node24/bin/node');

/** The first `node` on PATH outside node_modules (where npx puts Node 24), if it is Node 20. */
function findNode20(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    const candidate = path.join(dir, 'node');
    if (!fs.existsSync(candidate)) continue;
    const v = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    return v.startsWith('20.') ? candidate : undefined;
  }
  return undefined;
}
const NODE20 = findNode20();

let work: string;
let bundle: string;
let expected: Record<string, unknown>;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'db-bundle-'));
  const built = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js'), 'build', '__tests__/helpers/db-scenario-cli.ts',
      '-o', path.join(work, 'dist'), '--transpile-only', '--quiet'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(`ncc build failed: ${built.stderr}${built.stdout}`);
  bundle = path.join(work, 'dist/index.js');

  // Reference: the same scenario in this process, on whatever driver loads here.
  process.env.UNENTROPY_NATIVE_DIR ??= NATIVE_DIR;
  const here = fs.mkdtempSync(path.join(work, 'in-process-'));
  expected = comparable(runScenario(here));
}, 120_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function comparable(result: Record<string, unknown>): Record<string, unknown> {
  const { driver: _driver, driverLog: _log, ...rest } = result;
  return rest;
}

function runBundle(node: string, env: Record<string, string>): { status: number | null; stderr: string; result?: Record<string, unknown>; dbDir: string } {
  const dbDir = fs.mkdtempSync(path.join(work, 'run-'));
  const cleanEnv = { ...process.env };
  delete cleanEnv.UNENTROPY_SQLITE_DRIVER;
  delete cleanEnv.UNENTROPY_NATIVE_DIR;
  const r = spawnSync(node, [bundle, dbDir], { env: { ...cleanEnv, ...env }, encoding: 'utf8', cwd: work });
  return {
    status: r.status,
    stderr: r.stderr,
    dbDir,
    result: r.status === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined,
  };
}

test('Node 24, node:sqlite forced: same results as in-process, and the file is readable by the other driver', () => {
  const run = runBundle(NODE24, { UNENTROPY_SQLITE_DRIVER: 'node:sqlite' });
  expect(run.stderr).toBe('');
  expect(run.result?.driver).toBe('node:sqlite');
  expect(comparable(run.result!)).toEqual(expected);

  // the file node:sqlite wrote, opened here: both drivers share one file format and schema
  const { MetricsStore } = require('../../src/db/metrics-store') as typeof import('../../src/db/metrics-store');
  const file = path.join(run.dbDir, 'scenario.db');
  expect(MetricsStore.validateFile(file)).toEqual({ ok: true });
  const store = MetricsStore.open(file);
  expect(store.countBuilds()).toBe(expected.builds);
  expect(store.history('coverage', 3)).toEqual(expected.coverageHistory);
  store.close();
});

(fs.existsSync(path.join(NATIVE_DIR, 'better_sqlite3-abi137-linux-x64.node')) ? test : test.skip)(
  'Node 24 with the shipped ABI 137 binary: better-sqlite3, same results',
  () => {
    const run = runBundle(NODE24, { UNENTROPY_NATIVE_DIR: NATIVE_DIR });
    expect(run.stderr).toBe('');
    expect(run.result?.driver).toBe('better-sqlite3');
    expect((run.result?.driverLog as string[])[0]).toContain('better_sqlite3-abi137-linux-x64.node');
    expect(comparable(run.result!)).toEqual(expected);
  },
);

// The node_modules build is for the Node that ran npm install (ABI 115 here); ncc also copies it
// into the bundle, so under Node 24 both better-sqlite3 routes fail and only node:sqlite is left.
const INSTALLED_ADDON = path.join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
const installedLoadsUnder24 =
  spawnSync(NODE24, ['-e', `require(${JSON.stringify(INSTALLED_ADDON)})`]).status === 0;

(installedLoadsUnder24 ? test.skip : test)('Node 24 where the "ABI 137" binary is really another ABI: falls back to node:sqlite', () => {
  const mismatched = fs.mkdtempSync(path.join(work, 'native-'));
  fs.copyFileSync(INSTALLED_ADDON, path.join(mismatched, 'better_sqlite3-abi137-linux-x64.node'));
  const run = runBundle(NODE24, { UNENTROPY_NATIVE_DIR: mismatched });
  expect(run.stderr).toBe('');
  expect(run.result?.driver).toBe('node:sqlite');
  expect(comparable(run.result!)).toEqual(expected);
});

(NODE20 && fs.existsSync(path.join(NATIVE_DIR, 'better_sqlite3-abi115-linux-x64.node')) ? test : test.skip)(
  'Node 20 with the shipped ABI 115 binary: better-sqlite3, same results',
  () => {
    const run = runBundle(NODE20!, { UNENTROPY_NATIVE_DIR: NATIVE_DIR });
    expect(run.stderr).toBe('');
    expect(run.result?.driver).toBe('better-sqlite3');
    expect((run.result?.driverLog as string[])[0]).toContain('better_sqlite3-abi115-linux-x64.node');
    expect(comparable(run.result!)).toEqual(expected);
  },
);

(NODE20 ? test : test.skip)('Node 20 forced to node:sqlite: INTERNAL error saying Node 22.13+ is needed', () => {
  const run = runBundle(NODE20!, { UNENTROPY_SQLITE_DRIVER: 'node:sqlite' });
  expect(run.status).toBe(3);
  expect(run.stderr).toMatch(/^INTERNAL: No SQLite driver could load on linux-x64 with Node 20\./);
  expect(run.stderr).toContain('Node 22.13 or newer');
  expect(fs.readdirSync(run.dbDir)).toEqual([]);
});
