/**
 * End to end through the committed bundle (dist/index.js) in sqlite-artifact mode, under Node 20
 * and Node 24: workflow steps move the database, the action collects, reports and says exactly
 * how to persist it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { makeTempDir, makeWorkspace, prepareActionDir, runAction, RUNTIMES, type ActionRun, type Runtime } from '../helpers/action-runner';

const CONFIG = {
  metrics: [
    { name: 'coverage', type: 'numeric', unit: '%', command: 'cat coverage.txt' },
    { name: 'status', type: 'label', command: 'echo healthy' },
  ],
};
const DB = 'unentropy-metrics.db';

let actionDir: string;
beforeAll(() => {
  actionDir = prepareActionDir();
});

function workspaceWith(coverage: string): string {
  const ws = makeWorkspace(CONFIG);
  fs.writeFileSync(path.join(ws, 'coverage.txt'), `${coverage}\n`);
  return ws;
}

/** The `with:` block of the step in the summary's yaml that uses `action`, quoted values unquoted. */
function stepWith(summary: string, action: string): Record<string, string> {
  const blocks = [...summary.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const block of blocks) {
    const steps = block.split(/^- /m).filter((s) => s.includes(`uses: ${action}`));
    if (steps.length === 0) continue;
    expect(steps).toHaveLength(1);
    const body = steps[0].split(/^ {2}with:\n/m)[1] ?? '';
    const fields: Record<string, string> = {};
    for (const m of body.matchAll(/^ {4}([\w-]+): (.*)$/gm)) fields[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
    return fields;
  }
  throw new Error(`no yaml step using ${action} in the summary:\n${summary}`);
}

function countBuilds(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM builds').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function expectSucceeded(run: ActionRun): void {
  if (run.code !== 0) throw new Error(`action failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  expect(run.outputs.success).toBe('true');
  expect(run.outputs['error-code']).toBe('');
}

const runtimes: Runtime[] = ['node20', 'node24'];

/** A JWT-shaped token with the claim @actions/artifact reads the backend ids from (unsigned: it is only parsed). */
function fakeRuntimeToken(): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ scp: 'Actions.ExampleScope Actions.Results:ce7f54c7-61c7-4aae-887f-30da475f5f1a:ca395085-040a-526b-2ce8-bdc85f692774' })}.sig`;
}

describe.each(runtimes)('sqlite-artifact under %s', (runtime) => {
  beforeAll(() => expect(fs.existsSync(RUNTIMES[runtime])).toBe(true));

  test('first run without a database, then a run with the restored one: builds + 1 and every output set', async () => {
    const first = workspaceWith('70');
    const run1 = await runAction({ runtime, actionDir, workspace: first, runId: '501', inputs: { 'storage-type': 'sqlite-artifact' } });
    expectSucceeded(run1);
    expect(run1.outputs['total-builds']).toBe('1');
    expect(run1.summary).toContain('No database at unentropy-metrics.db: this is the first run');
    // On a first run the summary also says how to restore the history next time.
    const restore = stepWith(run1.summary, 'actions/download-artifact@v4');
    expect(restore).toMatchObject({ name: 'unentropy-metrics', path: '.', 'run-id': '${{ steps.last-metrics.outputs.run-id }}' });
    expect(run1.summary).toContain('actions: read');

    // As actions/download-artifact on the next runner: the artifact's file, restored into a fresh workspace.
    const second = workspaceWith('72.5');
    fs.copyFileSync(run1.outputs['artifact-path'], path.join(second, DB));
    const run2 = await runAction({ runtime, actionDir, workspace: second, runId: '502', inputs: { 'storage-type': 'sqlite-artifact' } });
    expectSucceeded(run2);
    const dbFile = path.join(second, DB);
    expect(run2.outputs).toMatchObject({
      'storage-type': 'sqlite-artifact',
      'database-path': dbFile,
      'database-location': 'artifact unentropy-metrics (unentropy-metrics.db)',
      'database-size': String(fs.statSync(dbFile).size),
      'metrics-collected': '2',
      'metrics-failed': '0',
      'total-builds': '2',
      'artifact-upload-required': 'true',
      'artifact-name': 'unentropy-metrics',
      'artifact-path': dbFile,
      'error-message': '',
    });
    expect(Number(run2.outputs.duration)).toBeGreaterThan(0);
    expect(countBuilds(dbFile)).toBe(2);
    expect(run2.summary).not.toContain('first run');
    expect(run2.summary).toContain('+2.5');
    // The exact step to persist it, filled with this run's name and path (relative to the workspace).
    expect(stepWith(run2.summary, 'actions/upload-artifact@v4')).toEqual({
      name: 'unentropy-metrics',
      path: DB,
      overwrite: 'true',
      'retention-days': '90',
      'if-no-files-found': 'error',
    });
    // Not a first run: no restore steps to add.
    expect(run2.summary).not.toContain('actions/download-artifact');
    expect(run2.summary).toMatch(/\| upload \| ⏭️ skipped \| [^|]+ \| Not uploaded: an actions\/upload-artifact step/);
  });

  test('a corrupt restored database: DB_CORRUPT, the bad file kept byte-identical under a new name, nothing written at the path', async () => {
    const ws = workspaceWith('70');
    const bad = crypto.randomBytes(8192);
    fs.writeFileSync(path.join(ws, DB), bad);
    const run = await runAction({ runtime, actionDir, workspace: ws, inputs: { 'storage-type': 'sqlite-artifact' } });
    expect(run.code).not.toBe(0);
    expect(run.outputs.success).toBe('false');
    expect(run.outputs['error-code']).toBe('DB_CORRUPT');
    expect(run.outputs['artifact-upload-required']).toBe('false');
    const kept = fs.readdirSync(ws).filter((f) => f.startsWith(`${DB}.corrupt-`));
    expect(kept).toHaveLength(1);
    expect(fs.readFileSync(path.join(ws, kept[0]))).toEqual(bad);
    expect(run.outputs['error-message']).toContain(kept[0]);
    expect(run.outputs['error-message']).toMatch(/on-corrupt-database: recreate/);
    // Nothing for an upload-artifact step to pick up and spread.
    expect(fs.existsSync(path.join(ws, DB))).toBe(false);
    expect(run.summary).toContain('DB_CORRUPT');
  });

  test('on-corrupt-database: recreate starts a new history and keeps the bad copy', async () => {
    const ws = workspaceWith('70');
    const bad = Buffer.concat([Buffer.from('SQLite format 3\0'), crypto.randomBytes(4080)]);
    fs.writeFileSync(path.join(ws, DB), bad);
    const run = await runAction({
      runtime,
      actionDir,
      workspace: ws,
      inputs: { 'storage-type': 'sqlite-artifact', 'on-corrupt-database': 'recreate' },
    });
    expectSucceeded(run);
    expect(run.outputs['total-builds']).toBe('1');
    const kept = fs.readdirSync(ws).filter((f) => f.startsWith(`${DB}.corrupt-`));
    expect(kept).toHaveLength(1);
    expect(fs.readFileSync(path.join(ws, kept[0]))).toEqual(bad);
    expect(countBuilds(path.join(ws, DB))).toBe(1);
    expect(run.summary).toContain(kept[0]);
    // A history was set aside, so this is not presented as a first run.
    expect(run.summary).not.toContain('First run');
    expect(stepWith(run.summary, 'actions/upload-artifact@v4')).toMatchObject({ name: 'unentropy-metrics', path: DB });
  });

  test('artifact-upload: true when the artifact service is unreachable: the bundled client loads, fails clearly, and the database is kept', async () => {
    const ws = workspaceWith('71');
    const run = await runAction({
      runtime,
      actionDir,
      workspace: ws,
      inputs: { 'storage-type': 'sqlite-artifact', 'artifact-upload': 'true' },
      // The real @actions/artifact client, bundled, on this runtime. Boundary: GitHub's artifact
      // service cannot be reached from here, so it gets a results URL on a closed loopback port.
      env: { ACTIONS_RUNTIME_TOKEN: fakeRuntimeToken(), ACTIONS_RESULTS_URL: 'http://127.0.0.1:9/' },
      timeoutMs: 120_000,
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).not.toMatch(/TypeError|SyntaxError|Cannot find module/);
    expect(run.outputs['error-message']).toMatch(/Uploading artifact "unentropy-metrics" failed/);
    expect(run.outputs['error-message']).toMatch(/if: failure\(\)/);
    expect(run.outputs['artifact-path']).toBe(path.join(ws, DB));
    expect(countBuilds(path.join(ws, DB))).toBe(1);
  });

  test('a custom artifact-name and database-path flow into the outputs and the snippets', async () => {
    const ws = workspaceWith('70');
    const run = await runAction({
      runtime,
      actionDir,
      workspace: ws,
      inputs: { 'storage-type': 'sqlite-artifact', 'artifact-name': 'widgets metrics', 'database-path': '.metrics/history.db' },
    });
    expectSucceeded(run);
    const dbFile = path.join(ws, '.metrics', 'history.db');
    expect(run.outputs['artifact-name']).toBe('widgets metrics');
    expect(run.outputs['artifact-path']).toBe(dbFile);
    expect(run.outputs['database-path']).toBe(dbFile);
    expect(countBuilds(dbFile)).toBe(1);
    expect(stepWith(run.summary, 'actions/upload-artifact@v4')).toMatchObject({ name: 'widgets metrics', path: '.metrics/history.db' });
    expect(stepWith(run.summary, 'actions/download-artifact@v4')).toMatchObject({ name: 'widgets metrics', path: '.metrics' });
  });
});

/**
 * artifact-upload: true, run by GitHub's local runner for actions, @github/local-action (needs
 * Node 22+), whose @actions/artifact stand-in writes <name>.zip into LOCAL_ACTION_ARTIFACT_PATH.
 */
describe('self-upload with @github/local-action', () => {
  const ROOT = path.resolve(__dirname, '..', '..');
  const LOCAL_ACTION = path.join(ROOT, 'node_modules', '@github', 'local-action', 'bin', 'local-action.js');

  test('the stored artifact is the updated database and artifact-upload-required is false', async () => {
    // A restored database from an earlier run, so the upload must carry the new build too.
    const ws = workspaceWith('70');
    expectSucceeded(await runAction({ actionDir, workspace: ws, runId: '601', inputs: { 'storage-type': 'sqlite-artifact' } }));
    fs.writeFileSync(path.join(ws, 'coverage.txt'), '71\n');

    const files = makeTempDir('tm-local-action-');
    const artifacts = path.join(files, 'artifacts');
    fs.mkdirSync(artifacts);
    const summaryFile = path.join(files, 'summary');
    fs.writeFileSync(summaryFile, '');
    const envFile = path.join(files, '.env');
    const env: Record<string, string> = {
      LOCAL_ACTION_ARTIFACT_PATH: artifacts,
      LOCAL_ACTION_WORKSPACE: ws,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: ws,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_SHA: 'b1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      GITHUB_REF_NAME: 'main',
      GITHUB_RUN_ID: '602',
      GITHUB_RUN_NUMBER: '8',
      GITHUB_RUN_ATTEMPT: '1',
      RUNNER_TEMP: files,
      'INPUT_STORAGE-TYPE': 'sqlite-artifact',
      'INPUT_ARTIFACT-UPLOAD': 'true',
      'INPUT_CONFIG-FILE': 'unentropy.json',
    };
    fs.writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n') + '\n');

    const { spawnSync } = await import('node:child_process');
    const node24 = RUNTIMES.node24;
    const result = spawnSync(node24, [LOCAL_ACTION, 'run', ROOT, 'src/main.ts', envFile], {
      cwd: ROOT,
      // local-action starts `npm exec tsx`: Node 24 must come first on PATH for that child too.
      env: { PATH: `${path.dirname(node24)}:${process.env.PATH}`, HOME: process.env.HOME ?? files },
      encoding: 'utf8',
      timeout: 150_000,
    });
    const log = `${result.stdout}\n${result.stderr}`;
    if (result.status !== 0) throw new Error(`local-action failed (${result.status}):\n${log}`);
    const outputs = Object.fromEntries([...result.stdout.matchAll(/^::set-output name=([\w-]+)::(.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(outputs).toMatchObject({
      success: 'true',
      'total-builds': '2',
      'artifact-upload-required': 'false',
      'artifact-name': 'unentropy-metrics',
      'artifact-path': path.join(ws, DB),
    });
    // The stand-in stored it, so this was the real @actions/artifact call path, not a skip.
    const stored = fs.readdirSync(artifacts);
    expect(stored).toEqual(['unentropy-metrics.zip']);
    const entries = readZip(fs.readFileSync(path.join(artifacts, stored[0])));
    // One entry named like the file: download-artifact with `path: .` puts it back at database-path.
    expect(Object.keys(entries)).toEqual([DB]);
    expect(entries[DB].equals(fs.readFileSync(path.join(ws, DB)))).toBe(true);
    expect(countBuilds(path.join(ws, DB))).toBe(2);
  }, 180_000);
});

/** Entries of a zip (stored or deflated), read through the central directory as unzip does. */
function readZip(zip: Buffer): Record<string, Buffer> {
  const zlib = require('node:zlib') as typeof import('node:zlib');
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataStart, dataStart + compressed);
    const data = method === 0 ? Buffer.from(raw) : zlib.inflateRawSync(raw);
    if (data.length !== size) throw new Error(`${name}: ${data.length} bytes unpacked, ${size} expected`);
    entries[name] = data;
    at += 46 + skip;
  }
  return entries;
}
