/**
 * End to end through the committed bundle (dist/index.js) with sqlite-local, under Node 20 and
 * Node 24, the way GitHub's runner starts it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { makeWorkspace, prepareActionDir, runAction, RUNTIMES, type Runtime } from '../helpers/action-runner';

const CONFIG = {
  metrics: [
    { name: 'coverage', type: 'numeric', unit: '%', description: 'Line coverage', command: 'cat coverage.txt' },
    { name: 'files', type: 'numeric', command: 'ls | wc -l' },
    { name: 'status', type: 'label', command: 'echo "healthy | <b>ok</b>"' },
    { name: 'inputs-seen', type: 'numeric', command: 'env | grep -c "^INPUT_" || true' },
  ],
};

let actionDir: string;
beforeAll(() => {
  actionDir = prepareActionDir();
  expect(fs.readdirSync(actionDir).sort()).toEqual(['action.yml', 'dist']);
});

const runtimes: Runtime[] = ['node20', 'node24'];

describe.each(runtimes)('sqlite-local under %s', (runtime) => {
  beforeAll(() => expect(fs.existsSync(RUNTIMES[runtime])).toBe(true));

  test('first run creates the database; second adds a build; a re-run attempt replaces it', async () => {
    const ws = makeWorkspace(CONFIG);
    fs.writeFileSync(path.join(ws, 'coverage.txt'), '81.5%\n');
    const first = await runAction({ runtime, actionDir, workspace: ws, runId: '111', inputs: { 'input-secret': 'x' } });
    expect(first.stderr).not.toMatch(/Error|TypeError/);
    expect(first.code).toBe(0);
    expect(first.outputs.success).toBe('true');
    expect(first.outputs['storage-type']).toBe('sqlite-local');
    expect(first.outputs['total-builds']).toBe('1');
    expect(first.outputs['metrics-collected']).toBe('4');
    expect(first.outputs['metrics-failed']).toBe('0');
    expect(first.outputs['database-path']).toBe(path.join(ws, 'unentropy-metrics.db'));
    expect(Number(first.outputs['database-size'])).toBe(fs.statSync(path.join(ws, 'unentropy-metrics.db')).size);
    expect(first.summary).toContain('coverage');
    expect(first.summary).toContain('81.5');
    // sqlite-local inside Actions warns that history will not persist.
    expect(first.summary).toMatch(/sqlite-s3/);
    expect(first.summary).toMatch(/sqlite-artifact/);

    fs.writeFileSync(path.join(ws, 'coverage.txt'), '83%\n');
    const second = await runAction({ runtime, actionDir, workspace: ws, runId: '222' });
    expect(second.code).toBe(0);
    expect(second.outputs['total-builds']).toBe('2');
    expect(second.summary).toContain('83');
    expect(second.summary).toMatch(/\+1\.5/);

    fs.writeFileSync(path.join(ws, 'coverage.txt'), '90%\n');
    const rerun = await runAction({ runtime, actionDir, workspace: ws, runId: '222', runAttempt: '2' });
    expect(rerun.code).toBe(0);
    expect(rerun.outputs['total-builds']).toBe('2');

    const db = new Database(path.join(ws, 'unentropy-metrics.db'), { readonly: true });
    const rows = db
      .prepare(`SELECT b.run_id AS run, v.value_numeric AS v FROM metric_values v JOIN builds b ON b.id = v.build_id
                JOIN metric_definitions d ON d.id = v.metric_id WHERE d.name = 'coverage' ORDER BY b.id`)
      .all();
    const inputsSeen = db
      .prepare(`SELECT v.value_numeric AS v FROM metric_values v JOIN metric_definitions d ON d.id = v.metric_id WHERE d.name = 'inputs-seen'`)
      .all() as Array<{ v: number }>;
    db.close();
    expect(rows).toEqual([
      { run: '111', v: 81.5 },
      { run: '222', v: 90 },
    ]);
    // Metric commands never see INPUT_* variables.
    expect(inputsSeen.every((r) => r.v === 0)).toBe(true);
    // Nothing left only in a journal.
    expect(fs.readdirSync(ws).filter((f) => /-(wal|journal|shm)$/.test(f))).toEqual([]);
  });

  test('a metric whose output is not a number fails alone, quoted; the rest are recorded', async () => {
    const ws = makeWorkspace({
      metrics: [
        { name: 'good', type: 'numeric', command: 'echo 5' },
        { name: 'bad', type: 'numeric', command: 'echo "not-a-number-xyz"' },
      ],
    });
    const run = await runAction({ runtime, actionDir, workspace: ws });
    expect(run.outputs['metrics-collected']).toBe('1');
    expect(run.outputs['metrics-failed']).toBe('1');
    expect(run.outputs['total-builds']).toBe('1');
    expect(run.summary).toContain('not-a-number-xyz');
  });

  test('malformed config: CONFIG_INVALID with line and column, non-zero exit, database untouched', async () => {
    const ws = makeWorkspace('{\n  "metrics": [\n    { "name": "a", }\n  ]\n}\n');
    const dbFile = path.join(ws, 'unentropy-metrics.db');
    fs.writeFileSync(dbFile, 'previous-bytes');
    const run = await runAction({ runtime, actionDir, workspace: ws });
    expect(run.code).not.toBe(0);
    expect(run.outputs['error-code']).toBe('CONFIG_INVALID');
    expect(run.outputs.success).toBe('false');
    expect(run.outputs['error-message']).toMatch(/unentropy\.json/);
    expect(run.outputs['error-message']).toMatch(/line 3/);
    expect(fs.readFileSync(dbFile, 'utf8')).toBe('previous-bytes');
    expect(run.stdout).toContain('::error::');
    // The failure summary still names the build, and claims no count it does not know.
    expect(run.summary).toContain('CONFIG_INVALID');
    expect(run.summary).toContain('`a1b2c3d`');
    expect(run.summary).not.toMatch(/builds? recorded/);
  });

  test('a missing GITHUB_OUTPUT file costs only the outputs: warning, data and summary kept', async () => {
    const ws = makeWorkspace({ metrics: [{ name: 'n', type: 'numeric', command: 'echo 4' }] });
    const run = await runAction({ runtime, actionDir, workspace: ws, env: { GITHUB_OUTPUT: path.join(ws, 'no', 'such', 'file') } });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/at issueFileCommand/);
    expect(run.stdout).toMatch(/::warning::The step outputs could not be written/);
    expect(run.summary).toContain('1 build recorded');
    expect(fs.existsSync(path.join(ws, 'unentropy-metrics.db'))).toBe(true);
  });
});

test('Node 24 without the native binary falls back to node:sqlite and writes a database better-sqlite3 reads', async () => {
  const ws = makeWorkspace({ metrics: [{ name: 'n', type: 'numeric', command: 'echo 3' }] });
  const run = await runAction({
    runtime: 'node24',
    actionDir,
    workspace: ws,
    env: { UNENTROPY_SQLITE_DRIVER: 'node:sqlite' },
  });
  expect(run.code).toBe(0);
  expect(run.outputs['total-builds']).toBe('1');
  const db = new Database(path.join(ws, 'unentropy-metrics.db'), { readonly: true });
  expect((db.prepare('SELECT count(*) AS n FROM builds').get() as { n: number }).n).toBe(1);
  db.close();
});
