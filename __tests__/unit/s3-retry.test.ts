import { ActionError } from '../../src/errors';
import { backoffDelayMs, isTransientError, transientCategory, TransientError, withRetry } from '../../src/storage/retry';

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
  expect(lines[0]).toMatch(/^S3 GetObject failed \(attempt 1 of 4, throttled \(HTTP 503 SlowDown\)\): SlowDown; retrying in \d+\.\d s\.$/);
  expect(lines[1]).toContain('(attempt 2 of 4, throttled (HTTP 503 SlowDown))');
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

test('each retry waits an exponential, jittered delay, and says how long', async () => {
  // Base 1, 2, 4, 8 x min, capped at max; the jitter keeps it within [base/2, base].
  expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, 100, 500, () => 1))).toEqual([100, 200, 400, 500, 500]);
  expect([1, 2, 3].map((n) => backoffDelayMs(n, 100, 500, () => 0))).toEqual([50, 100, 200]);
  const spread = new Set(Array.from({ length: 20 }, () => backoffDelayMs(3, 100, 10_000)));
  expect(spread.size).toBeGreaterThan(1);

  const lines: string[] = [];
  const started = Date.now();
  await expect(
    withRetry(
      async () => {
        throw s3Error('InternalError', 500);
      },
      { attempts: 2, minTimeoutMs: 100, log: (l) => lines.push(l) },
    ),
  ).rejects.toThrow('InternalError');
  const waited = Date.now() - started;
  const announced = lines.map((l) => Number(/retrying in (\d+\.\d) s/.exec(l)![1]) * 1000);
  expect(announced).toHaveLength(2);
  expect(announced[0]).toBeGreaterThanOrEqual(50);
  expect(announced[1]).toBeGreaterThanOrEqual(100);
  expect(waited).toBeGreaterThanOrEqual(announced[0]! + announced[1]! - 100);
});

test('a cancel during the back-off stops waiting at once', async () => {
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 50);
  await expect(
    withRetry(
      async () => {
        throw s3Error('InternalError', 500);
      },
      { attempts: 3, minTimeoutMs: 5_000, signal: controller.signal },
    ),
  ).rejects.toThrow();
  expect(Date.now() - started).toBeLessThan(1_000);
});

test('retry log categories', () => {
  expect(transientCategory(s3Error('SlowDown', 503))).toBe('throttled (HTTP 503 SlowDown)');
  expect(transientCategory(s3Error('TooManyRequests', 429))).toBe('throttled (HTTP 429 TooManyRequests)');
  expect(transientCategory(s3Error('InternalError', 500))).toBe('server error (HTTP 500 InternalError)');
  // The SDK calls a dropped connection TimeoutError; the system code is what happened.
  expect(transientCategory(Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }))).toBe('network (ECONNRESET)');
  expect(transientCategory(Object.assign(new Error('timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' }))).toBe('timeout (ETIMEDOUT)');
  expect(transientCategory(new TransientError('TruncatedBodyError', 'short'))).toBe('truncated body');
});
