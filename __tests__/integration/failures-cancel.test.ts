import * as fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { s3rverUploadsDir } from '../helpers/fault-proxy';
import {
  BUCKET,
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
 * GitHub cancels a job with SIGINT, then SIGTERM. A signal in the middle of a multipart upload
 * must abort it on the server and end the process promptly with a failure, leaving the stored
 * database exactly as it was (only CompleteMultipartUpload could replace it).
 */

jest.setTimeout(60_000);

const env = useFailureEnv();

test.each([
  ['SIGTERM', 'node20'],
  ['SIGINT', 'node24'],
] as const)('%s during a 30 MB multipart upload aborts it, exits promptly and leaves the stored database whole (%s)', async (signal, runtime) => {
  const key = uniqueKey(`cancel-${signal}`);
  const before = makeDatabaseBytes({ builds: 2, paddingBytes: 30 * 1024 * 1024 });
  expect(before.length).toBeGreaterThan(30 * 1024 * 1024);
  await putRemote(env, key, before);
  // Slow parts, so the signal surely arrives while they are in flight.
  env.proxy.setRules([{ operation: 'UploadPart', fault: { kind: 'throttle', bytesPerSecond: 1024 * 1024 } }]);

  let child: ChildProcess | undefined;
  let signalledAt = 0;
  env.proxy.onRequest = (r) => {
    if (r.operation !== 'UploadPart' || signalledAt) return;
    signalledAt = -1;
    setTimeout(() => {
      signalledAt = Date.now();
      child?.kill(signal);
    }, 700);
  };

  const run = await runThroughProxy(env, { key, runtime, onStart: (c) => (child = c), timeoutMs: 40_000 });
  const exitedAfterMs = Date.now() - signalledAt;

  expect(signalledAt).toBeGreaterThan(0);
  expect(run.signal).toBeNull(); // it exited by itself, not killed by the signal or the harness
  expect(run.code).toBe(1);
  expect(exitedAfterMs).toBeLessThan(5_000);
  expect(run.outputs['error-code']).toBe('INTERNAL');
  expect(run.outputs['error-message']).toContain('The run was cancelled during upload; nothing partial was uploaded.');
  expect(run.stdout).toContain(`Received ${signal}: cancelling`);

  // Never completed, aborted on the server, no parts left behind.
  expect(env.proxy.count('CompleteMultipartUpload')).toBe(0);
  expect(env.proxy.requests.filter((r) => r.operation === 'AbortMultipartUpload').map((r) => r.outcome)).toContain('204 aborted');
  const uploads = s3rverUploadsDir(env.server.dir, BUCKET);
  expect(fs.existsSync(uploads) ? fs.readdirSync(uploads) : []).toEqual([]);

  const after = (await remoteBytes(env, key))!;
  expect(after.length).toBe(before.length);
  expect(after.equals(before)).toBe(true);

  // The updated working copy is left for an `if: failure()` step.
  expect(run.outputs['artifact-path']).toBe(run.outputs['database-path']);
  expect(readDatabase(fs.readFileSync(run.outputs['artifact-path']!)).builds).toBe(3);
  expectNoSecret(run, TEST_SECRET);
});
