import * as fs from 'node:fs';
import {
  makeDatabaseBytes,
  putRemote,
  readDatabase,
  remoteBytes,
  runThroughProxy,
  useFailureEnv,
  uniqueKey,
} from '../helpers/failure-scenario';
import { expectNoSecret, TEST_SECRET } from '../helpers/secret-scan';

/** Partial results still reach storage, and secrets reach nothing the action writes. */

jest.setTimeout(60_000);

const env = useFailureEnv();

test('a failing metric does not stop the others: what was collected is uploaded', async () => {
  const key = uniqueKey('metric-fails');
  await putRemote(env, key, makeDatabaseBytes({ builds: 2 }));

  const run = await runThroughProxy(env, {
    key,
    metrics: [
      { name: 'coverage', type: 'numeric', unit: '%', command: 'echo 87.5' },
      { name: 'broken', type: 'numeric', command: 'echo "no number here"; exit 3' },
      { name: 'status', type: 'label', command: 'echo degraded' },
    ],
  });

  expect(run.outputs['metrics-collected']).toBe('2');
  expect(run.outputs['metrics-failed']).toBe('1');
  expect(env.proxy.count('PutObject')).toBe(1);
  const stored = readDatabase((await remoteBytes(env, key))!);
  expect(stored.builds).toBe(3);
  expect(stored.coverage).toEqual([80, 81, 87.5]);
  expect(stored.statusLabels).toEqual(['seed-0', 'seed-1', 'degraded']);
  expect(run.summary).toContain('broken');
});

test('a secret never appears in logs, errors, summary, outputs, files or the database; a label equal to it is stored masked', async () => {
  const key = uniqueKey('secret');
  await putRemote(env, key, makeDatabaseBytes({ builds: 1 }));

  const run = await runThroughProxy(env, {
    key,
    inputs: { verbose: 'true' },
    // A workflow would pass a secret to a metric command through `env:`; the command echoes it.
    env: { TM_ECHOED: TEST_SECRET },
    metrics: [
      { name: 'coverage', type: 'numeric', command: 'echo 90' },
      { name: 'status', type: 'label', command: 'echo "$TM_ECHOED"' },
      // Metric commands must not inherit INPUT_* (where the runner puts the secret inputs).
      { name: 'inherited-inputs', type: 'numeric', command: "env | grep -c '^INPUT_' || true" },
      { name: 'leaky-failure', type: 'numeric', command: 'echo "$TM_ECHOED is not a number"' },
    ],
  });

  expect(run.code).toBe(0);
  const storedBytes = (await remoteBytes(env, key))!;
  const stored = readDatabase(storedBytes);
  expect(stored.statusLabels).toEqual(['seed-0', '***']);
  // Shown masked (markdown-escaped in the summary).
  expect(run.summary).toContain('| **status** | \\*\\*\\* |');
  expect(run.outputs['metrics-failed']).toBe('1');
  expect(run.stdout).toMatch(/inherited-inputs: 0\b/);
  expectNoSecret(run, TEST_SECRET, [storedBytes, fs.readFileSync(run.outputs['database-path']!)]);
});
