import { ActionError } from '../../src/errors';
import { isTransientError, TransientError, withRetry } from '../../src/storage/retry';

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

test('transient failures are retried until success, and each retry is logged', async () => {
  const lines: string[] = [];
  let calls = 0;
  const result = await withRetry(
    async () => {
      calls++;
      if (calls < 3) throw s3Error('SlowDown', 503);
      return 'ok';
    },
    { attempts: 3, log: (l) => lines.push(l), minTimeoutMs: 1, what: 'S3 GetObject' },
  );
  expect(result).toBe('ok');
  expect(calls).toBe(3);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toContain('S3 GetObject failed (attempt 1)');
});

test('attempts is the number of retries after the first try', async () => {
  let calls = 0;
  await expect(
    withRetry(
      async () => {
        calls++;
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      },
      { attempts: 2, minTimeoutMs: 1 },
    ),
  ).rejects.toThrow('ECONNRESET');
  expect(calls).toBe(3);
});

test.each([
  ['AccessDenied', s3Error('AccessDenied', 403)],
  ['InvalidAccessKeyId', s3Error('InvalidAccessKeyId', 403)],
  ['NoSuchKey', s3Error('NoSuchKey', 404)],
  ['NoSuchBucket', s3Error('NoSuchBucket', 404)],
  ['NotImplemented', s3Error('NotImplemented', 501)],
  ['ActionError', new ActionError('CONCURRENT_UPDATE', 'x')],
])('%s is never retried', async (_label, error) => {
  let calls = 0;
  await expect(
    withRetry(
      async () => {
        calls++;
        throw error;
      },
      { attempts: 5, minTimeoutMs: 1 },
    ),
  ).rejects.toBe(error);
  expect(calls).toBe(1);
});

test('an aborted signal stops retrying', async () => {
  const controller = new AbortController();
  let calls = 0;
  await expect(
    withRetry(
      async () => {
        calls++;
        controller.abort();
        throw s3Error('InternalError', 500);
      },
      { attempts: 5, minTimeoutMs: 1, signal: controller.signal },
    ),
  ).rejects.toThrow('InternalError');
  expect(calls).toBe(1);
});

test('transient classification', () => {
  expect(isTransientError(s3Error('InternalError', 500))).toBe(true);
  expect(isTransientError(s3Error('TooManyRequests', 429))).toBe(true);
  expect(isTransientError(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toBe(true);
  expect(isTransientError(new TransientError('TruncatedBodyError', 'short body'))).toBe(true);
  expect(isTransientError(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 1.2.3.4:9'))).toBe(true);
  expect(isTransientError(s3Error('Forbidden', 403))).toBe(false);
  expect(isTransientError(new Error('plain bug'))).toBe(false);
});
