import * as fs from 'node:fs';
import {
  failureLine,
  listKeys,
  makeDatabaseBytes,
  putRemote,
  readDatabase,
  remoteBytes,
  runThroughProxy,
  useFailureEnv,
  uniqueKey,
  BUCKET,
} from '../helpers/failure-scenario';
import { expectNoSecret, TEST_SECRET } from '../helpers/secret-scan';

/**
 * Storage failures that must not be retried away or mistaken for a first run: a server that
 * never answers (TIMEOUT), 403 for a missing key (S3_ACCESS_DENIED), a corrupt stored database
 * (DB_CORRUPT, preserved server-side first). Each checks the stored object afterwards.
 */

jest.setTimeout(60_000);

const env = useFailureEnv();

test('a server that accepts and never answers ends in TIMEOUT within the timeout input, and nothing is uploaded', async () => {
  const key = uniqueKey('hang');
  const before = makeDatabaseBytes({ builds: 2 });
  await putRemote(env, key, before);
  env.proxy.setRules([{ operation: 'GetObject', fault: { kind: 'hang' } }]);

  const run = await runThroughProxy(env, { key, inputs: { timeout: '5' } });

  expect(run.code).toBe(1);
  expect(run.durationMs).toBeLessThan(10_000);
  expect(run.outputs['error-code']).toBe('TIMEOUT');
  expect(run.outputs['error-message']).toContain('raise the `timeout` input');
  expect(env.proxy.count('PutObject') + env.proxy.count('CreateMultipartUpload')).toBe(0);
  expect((await remoteBytes(env, key))!.equals(before)).toBe(true);
  expect(failureLine(run)).toContain('TIMEOUT: The storage phases did not finish within 5 s (during download)');
  expectNoSecret(run, TEST_SECRET);
});

test('403 AccessDenied for a missing key is S3_ACCESS_DENIED with the s3:ListBucket hint, never a first run', async () => {
  const key = uniqueKey('denied');
  // What S3 does for credentials without s3:ListBucket: HeadBucket 403, and 403 (not 404) for a missing key.
  env.proxy.setRules([
    { operation: 'HeadBucket', fault: { kind: 'error', status: 403, code: 'AccessDenied' } },
    { operation: 'GetObject', fault: { kind: 'deny-missing' } },
  ]);

  const run = await runThroughProxy(env, { key });

  expect(run.code).toBe(1);
  expect(run.outputs['error-code']).toBe('S3_ACCESS_DENIED');
  expect(run.outputs['error-message']).toContain(`s3:ListBucket on arn:aws:s3:::${BUCKET}`);
  expect(run.outputs['error-message']).toContain('403 Access Denied (not 404) for a key that does not exist yet');
  expect(env.proxy.requests.find((r) => r.operation === 'GetObject')?.outcome).toBe('403 AccessDenied (was 404)');
  // Not retried, nothing written: no fresh database replaced a history we could not see.
  expect(env.proxy.count('GetObject')).toBe(1);
  expect(env.proxy.count('PutObject')).toBe(0);
  expect(await remoteBytes(env, key)).toBeUndefined();
  expect(run.stdout).not.toContain('starting a new one');
  expectNoSecret(run, TEST_SECRET);
});

test('a corrupt stored database with on-corrupt-database fail is copied aside on the server, then DB_CORRUPT names the copy', async () => {
  const key = uniqueKey('corrupt-fail');
  const garbage = Buffer.from('this is not a SQLite database\n'.repeat(200));
  await putRemote(env, key, garbage);

  const run = await runThroughProxy(env, { key });

  expect(run.code).toBe(1);
  expect(run.outputs['error-code']).toBe('DB_CORRUPT');
  const copy = /It was copied to s3:\/\/metrics\/(\S+\.corrupt-\d{8}T\d{6}Z)/.exec(run.outputs['error-message']!)?.[1];
  expect(copy).toBeDefined();
  expect(copy!.startsWith(`${key}.corrupt-`)).toBe(true);
  expect(run.outputs['error-message']).toContain('set on-corrupt-database: recreate');
  // The stored object is untouched and the copy is byte-identical.
  expect((await remoteBytes(env, key))!.equals(garbage)).toBe(true);
  expect((await remoteBytes(env, copy!))!.equals(garbage)).toBe(true);
  expect(await listKeys(env, key)).toEqual([key, copy!].sort());
  expect(env.proxy.count('PutObject')).toBe(0);
  // The copy happened before anything else touched storage after the download.
  const ops = env.proxy.requests.map((r) => r.operation);
  expect(ops.slice(ops.indexOf('GetObject') + 1)).toEqual(['CopyObject']);
  expectNoSecret(run, TEST_SECRET);
});

test('a corrupt stored database with on-corrupt-database recreate is preserved, a new history starts, and the summary says where the old one is', async () => {
  const key = uniqueKey('corrupt-recreate');
  const garbage = Buffer.from('SQLite format 3\0'.padEnd(4096, 'x'));
  await putRemote(env, key, garbage);

  const run = await runThroughProxy(env, { key, inputs: { 'on-corrupt-database': 'recreate' } });

  expect(run.code).toBe(0);
  const keys = await listKeys(env, key);
  const copy = keys.find((k) => k.startsWith(`${key}.corrupt-`));
  expect(copy).toBeDefined();
  expect(keys).toHaveLength(2);
  expect((await remoteBytes(env, copy!))!.equals(garbage)).toBe(true);
  expect(run.summary).toContain(`s3://${BUCKET}/${copy}`);
  // The key now holds a fresh, valid database with just this build.
  const fresh = readDatabase((await remoteBytes(env, key))!);
  expect(fresh.builds).toBe(1);
  expect(fresh.coverage).toEqual([87.5]);
  expectNoSecret(run, TEST_SECRET);
});

test('a body corrupted in transit (valid object, bad bytes) is DB_CORRUPT and the stored database stays byte-identical', async () => {
  const key = uniqueKey('corrupt-transit');
  const before = makeDatabaseBytes({ builds: 3 });
  await putRemote(env, key, before);
  env.proxy.setRules([{ operation: 'GetObject', fault: { kind: 'corrupt' } }]);

  const run = await runThroughProxy(env, { key });

  expect(run.code).toBe(1);
  expect(run.outputs['error-code']).toBe('DB_CORRUPT');
  expect((await remoteBytes(env, key))!.equals(before)).toBe(true);
  expect(readDatabase((await remoteBytes(env, key))!).builds).toBe(3);
  expect(env.proxy.count('PutObject')).toBe(0);
});

// A write that lost a race: the store refuses the conditional write (If-Match the downloaded
// ETag) with 412. s3rver does not evaluate conditions, so the proxy answers as S3 would.
test.each([
  ['a single PUT', 'PutObject', 0],
  ['a multipart upload, at CompleteMultipartUpload', 'CompleteMultipartUpload', 20 * 1024 * 1024],
] as const)('412 PreconditionFailed on %s is CONCURRENT_UPDATE, remote unchanged', async (_label, operation, paddingBytes) => {
  const key = uniqueKey('precondition');
  const before = makeDatabaseBytes({ builds: 2, paddingBytes });
  await putRemote(env, key, before);
  env.proxy.setRules([{ operation, fault: { kind: 'error', status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' } }]);

  const run = await runThroughProxy(env, { key });

  expect(run.code).toBe(1);
  expect(run.outputs['error-code']).toBe('CONCURRENT_UPDATE');
  expect(run.outputs['error-message']).toContain('conditional write was refused');
  expect(env.proxy.count(operation)).toBe(1); // not retried
  // Outputs and summary count what storage holds, and point at the unsaved copy.
  expect(run.outputs['total-builds']).toBe('2');
  expect(run.summary).toContain('2 builds recorded');
  expect(run.summary).toContain("This build's metrics were not stored");
  expect(readDatabase(fs.readFileSync(run.outputs['artifact-path']!)).builds).toBe(3);
  expect((await remoteBytes(env, key))!.equals(before)).toBe(true);
  expectNoSecret(run, TEST_SECRET);
});
