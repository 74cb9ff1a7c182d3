import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { ActionError } from '../../src/errors';
import { S3Backend } from '../../src/storage/s3-backend';

/**
 * Faults s3rver cannot produce, from a tiny real HTTP server: a body cut short of its
 * Content-Length, and 503s.
 */

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 's3-faults-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function serve(handler: http.RequestListener): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function backend(endpoint: string, retryAttempts: number): S3Backend {
  return new S3Backend(
    { endpoint, bucket: 'metrics', region: 'us-east-1', key: 'm.db', accessKeyId: 'AKID', secretAccessKey: 'SECRET-xyz-123', forcePathStyle: true },
    { retryAttempts, retryMinTimeoutMs: 5, requestTimeoutMs: 5000 },
  );
}

test('a body shorter than its Content-Length is retried, then fails as S3_NETWORK, never as a first run', async () => {
  let gets = 0;
  const srv = await serve((req, res) => {
    if (req.method === 'HEAD') return res.writeHead(200).end();
    gets++;
    res.writeHead(200, { 'Content-Length': '5000', ETag: '"abc"' });
    res.write(Buffer.from('SQLite format 3\0'.padEnd(100, '\0')));
    setTimeout(() => res.socket?.destroy(), 20);
  });
  const dbPath = path.join(tmp, 'metrics.db');
  let err: unknown;
  try {
    await backend(srv.endpoint, 2).download(dbPath, { signal: new AbortController().signal, log: () => undefined });
  } catch (e) {
    err = e;
  } finally {
    await srv.close();
  }
  expect(err).toBeInstanceOf(ActionError);
  expect((err as ActionError).code).toBe('S3_NETWORK');
  expect(gets).toBe(3);
  expect(fs.readdirSync(tmp)).toEqual([]);
});

test('503 answers are retried and a later success is used', async () => {
  let gets = 0;
  const { MetricsStore } = await import('../../src/db/metrics-store');
  const good = path.join(tmp, 'good.db');
  MetricsStore.open(good).close();
  const body = fs.readFileSync(good);
  const srv = await serve((req, res) => {
    if (req.method === 'HEAD') return res.writeHead(200).end();
    gets++;
    if (gets < 3) {
      res.writeHead(503, { 'Content-Type': 'application/xml' });
      return res.end('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>');
    }
    res.writeHead(200, { 'Content-Length': String(body.length), ETag: '"v1"' });
    res.end(body);
  });
  const dbPath = path.join(tmp, 'out', 'metrics.db');
  const lines: string[] = [];
  try {
    const result = await backend(srv.endpoint, 3).download(dbPath, { signal: new AbortController().signal, log: (l) => lines.push(l) });
    expect(result.firstRun).toBe(false);
  } finally {
    await srv.close();
  }
  expect(gets).toBe(3);
  expect(lines.filter((l) => l.includes('retrying'))).toHaveLength(2);
  expect(fs.readFileSync(dbPath).equals(body)).toBe(true);
});

describe('a GetObject 404 without an S3 error code is settled by HeadBucket, never guessed', () => {
  async function downloadWith(headBucketStatus: number) {
    const seen: string[] = [];
    const srv = await serve((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      // Path-style: /metrics is the bucket, /metrics/m.db the key.
      if (req.method === 'HEAD' && req.url?.split('?')[0].replace(/\/$/, '') === '/metrics') return res.writeHead(headBucketStatus).end();
      res.writeHead(404).end();
    });
    const dbPath = path.join(tmp, 'metrics.db');
    try {
      return { result: await backend(srv.endpoint, 0).download(dbPath, { signal: new AbortController().signal, log: () => undefined }), seen };
    } catch (e) {
      return { error: e as ActionError, seen };
    } finally {
      await srv.close();
    }
  }

  test('bucket exists: a first run', async () => {
    const { result, seen } = await downloadWith(200);
    expect(result?.firstRun).toBe(true);
    expect(seen.some((s) => s.startsWith('HEAD /metrics'))).toBe(true);
  });

  test('bucket missing: S3_BUCKET_NOT_FOUND, not a first run', async () => {
    const { error } = await downloadWith(404);
    expect(error).toBeInstanceOf(ActionError);
    expect(error?.code).toBe('S3_BUCKET_NOT_FOUND');
  });

  test('HeadBucket denied: an error, not a first run', async () => {
    const { error, result } = await downloadWith(403);
    expect(result).toBeUndefined();
    expect(error).toBeInstanceOf(ActionError);
  });
});
