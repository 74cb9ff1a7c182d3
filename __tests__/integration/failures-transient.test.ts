import * as fs from 'node:fs';
import {
  failureLine,
  makeDatabaseBytes,
  putRemote,
  readDatabase,
  remoteBytes,
  runThroughProxy,
  useFailureEnv,
  uniqueKey,
} from '../helpers/failure-scenario';
import { expectNoSecret, TEST_SECRET } from '../helpers/secret-scan';

/**
 * Transient storage faults through the fault proxy, against the committed dist/index.js:
 * retried with back-off and then used, or (when they persist) reported as S3_NETWORK with the
 * remote database byte-identical and the updated working copy left for an `if: failure()` step.
 */

jest.setTimeout(60_000);

const env = useFailureEnv();

test.each(['node20', 'node24'] as const)(
  '503 SlowDown and 500 are retried (logged with attempt, category and delay) and the update lands (%s)',
  async (runtime) => {
    const key = uniqueKey(`slowdown-${runtime}`);
    await putRemote(env, key, makeDatabaseBytes({ builds: 2 }));
    env.proxy.setRules([
      { operation: 'GetObject', fault: { kind: 'error', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }, times: 2 },
      { operation: 'PutObject', fault: { kind: 'error', status: 500, code: 'InternalError', message: 'We encountered an internal error.' }, times: 1 },
    ]);

    const run = await runThroughProxy(env, { key, runtime });

    expect(run.code).toBe(0);
    expect(run.outputs.success).toBe('true');
    expect(env.proxy.count('GetObject')).toBe(3);
    expect(env.proxy.count('PutObject')).toBe(2);
    const retries = run.stdout.split('\n').filter((l) => /failed \(attempt \d+ of \d+/.test(l));
    expect(retries).toHaveLength(3);
    expect(retries[0]).toMatch(/S3 GetObject of s3:\/\/metrics\/\S+ failed \(attempt 1 of 3, throttled \(HTTP 503 SlowDown\)\): .*retrying in \d+\.\d s\./);
    expect(retries[1]).toMatch(/attempt 2 of 3, throttled \(HTTP 503 SlowDown\).*retrying in \d+\.\d s\./);
    expect(retries[2]).toMatch(/S3 PutObject .*attempt 1 of 3, server error \(HTTP 500 InternalError\).*retrying in \d+\.\d s\./);

    const stored = readDatabase((await remoteBytes(env, key))!);
    expect(stored.builds).toBe(3);
    expect(stored.coverage).toEqual([80, 81, 87.5]);
    expectNoSecret(run, TEST_SECRET, [(await remoteBytes(env, key))!]);
  },
);

test('a reset connection and a body cut short are retried, then the download is used', async () => {
  const key = uniqueKey('reset');
  await putRemote(env, key, makeDatabaseBytes({ builds: 1 }));
  env.proxy.setRules([
    { operation: 'GetObject', fault: { kind: 'reset' }, times: 1 },
    { operation: 'GetObject', fault: { kind: 'truncate' }, times: 1 },
  ]);

  const run = await runThroughProxy(env, { key });

  expect(run.code).toBe(0);
  expect(env.proxy.requests.filter((r) => r.operation === 'GetObject').map((r) => r.outcome)).toEqual(['reset', '200 truncated', '200']);
  expect(run.stdout).toMatch(/attempt 1 of 3, network \(ECONNRESET\)/);
  expect(run.stdout).toMatch(/attempt 2 of 3, truncated body/);
  expect(readDatabase((await remoteBytes(env, key))!).builds).toBe(2);
});

test('a body that is always cut short fails as S3_NETWORK and the stored database is untouched', async () => {
  const key = uniqueKey('truncated');
  const before = makeDatabaseBytes({ builds: 2 });
  await putRemote(env, key, before);
  env.proxy.setRules([{ operation: 'GetObject', fault: { kind: 'truncate' } }]);

  const run = await runThroughProxy(env, { key });

  expect(run.code).toBe(1);
  expect(run.outputs['error-code']).toBe('S3_NETWORK');
  expect(run.outputs['error-message']).toContain('kept dropping during GetObject');
  expect(run.outputs['error-message']).toContain('raise retry-attempts');
  expect(env.proxy.count('GetObject')).toBe(3);
  expect(env.proxy.count('PutObject')).toBe(0);
  expect((await remoteBytes(env, key))!.equals(before)).toBe(true);
  // Nothing was collected, so there is no working copy to save.
  expect(run.outputs['artifact-path']).toBe('');
  expect(failureLine(run)).toContain('S3_NETWORK');
  // One annotation for the failure, not one per layer that saw it.
  expect(run.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toHaveLength(1);
});

test('an upload that keeps failing leaves the stored database as it was and the updated copy at artifact-path', async () => {
  const key = uniqueKey('upload-500');
  const before = makeDatabaseBytes({ builds: 2 });
  await putRemote(env, key, before);
  env.proxy.setRules([{ operation: 'PutObject', fault: { kind: 'error', status: 500, code: 'InternalError', message: 'We encountered an internal error.' } }]);

  const run = await runThroughProxy(env, { key });

  expect(run.code).toBe(1);
  expect(run.outputs['error-code']).toBe('S3_NETWORK');
  expect(run.outputs['error-message']).toContain('kept failing PutObject');
  expect(env.proxy.count('PutObject')).toBe(3);
  expect((await remoteBytes(env, key))!.equals(before)).toBe(true);

  // The `if: failure()` step's input: the updated working copy, with this build in it.
  const saved = run.outputs['artifact-path'];
  expect(saved).toBe(run.outputs['database-path']);
  expect(saved).not.toBe('');
  const local = readDatabase(fs.readFileSync(saved));
  expect(local.builds).toBe(3);
  expect(local.coverage).toEqual([80, 81, 87.5]);
  expect(run.summary).toContain('S3_NETWORK');
  expect(run.stdout).toContain(`::warning::This build's metrics were not stored; the updated database is at ${saved} (output artifact-path).`);
});
