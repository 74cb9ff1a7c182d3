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

describe('a GetObject 404 without an S3 error code is settled by a listing, never guessed', () => {
  const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>${body}`;
  const LISTS: Record<string, [number, string]> = {
    empty: [200, xml('<ListBucketResult><Name>metrics</Name><Prefix>m.db</Prefix><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>')],
    present: [200, xml('<ListBucketResult><Name>metrics</Name><Prefix>m.db</Prefix><KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>m.db</Key><Size>4096</Size></Contents></ListBucketResult>')],
    'no-bucket': [404, xml('<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>')],
    denied: [403, xml('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>')],
  };

  async function downloadWith(list: keyof typeof LISTS) {
    const srv = await serve((req, res) => {
      // Path-style: GET /metrics?list-type=2... lists, GET /metrics/m.db reads the key.
      if (req.method === 'GET' && /^\/metrics\/?\?/.test(req.url ?? '') && req.url?.includes('list-type=2')) {
        const [status, body] = LISTS[list];
        return res.writeHead(status, { 'Content-Type': 'application/xml' }).end(body);
      }
      res.writeHead(404).end(); // bodiless: as a gateway or proxy might answer
    });
    const dbPath = path.join(tmp, 'metrics.db');
    try {
      return { result: await backend(srv.endpoint, 0).download(dbPath, { signal: new AbortController().signal, log: () => undefined }) };
    } catch (e) {
      return { error: e as ActionError };
    } finally {
      await srv.close();
    }
  }

  test('the listing confirms the key is absent: a first run', async () => {
    const { result, error } = await downloadWith('empty');
    expect(error).toBeUndefined();
    expect(result?.firstRun).toBe(true);
  });

  test('the listing shows the key: an error, never a first run', async () => {
    const { result, error } = await downloadWith('present');
    expect(result).toBeUndefined();
    expect(error?.code).toBe('S3_NETWORK');
    expect(error?.message).toContain('lists the object');
  });

  test('bucket missing: S3_BUCKET_NOT_FOUND', async () => {
    const { error } = await downloadWith('no-bucket');
    expect(error?.code).toBe('S3_BUCKET_NOT_FOUND');
  });

  test('listing denied: S3_ACCESS_DENIED, not a first run', async () => {
    const { result, error } = await downloadWith('denied');
    expect(result).toBeUndefined();
    expect(error?.code).toBe('S3_ACCESS_DENIED');
  });
});

describe('the single PUT is conditional on what the run downloaded', () => {
  async function uploadWith(putAnswer: (req: http.IncomingMessage) => [number, string] | undefined) {
    const { MetricsStore } = await import('../../src/db/metrics-store');
    const good = path.join(tmp, 'good.db');
    MetricsStore.open(good).close();
    const body = fs.readFileSync(good);
    const puts: Array<Record<string, string | undefined>> = [];
    let stored: Buffer | undefined;
    const srv = await serve((req, res) => {
      if (req.method === 'GET') return res.writeHead(200, { 'Content-Length': String(body.length), ETag: '"v1"' }).end(body);
      if (req.method === 'HEAD') {
        if (!stored) return res.writeHead(200, { 'Content-Length': String(body.length), ETag: '"v1"' }).end();
        const sha = require('node:crypto').createHash('sha256').update(stored).digest('hex');
        return res.writeHead(200, { 'Content-Length': String(stored.length), ETag: '"v2"', 'x-amz-meta-sha256': sha }).end();
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        puts.push({ 'if-match': req.headers['if-match'] as string, 'if-none-match': req.headers['if-none-match'] as string });
        const answer = putAnswer(req);
        if (answer) return res.writeHead(answer[0], { 'Content-Type': 'application/xml' }).end(answer[1]);
        stored = Buffer.concat(chunks);
        res.writeHead(200, { ETag: '"v2"' }).end();
      });
    });
    const dbPath = path.join(tmp, 'work', 'metrics.db');
    const b = backend(srv.endpoint, 0);
    const phase = { signal: new AbortController().signal, log: () => undefined };
    try {
      await b.download(dbPath, phase);
      return { result: await b.upload(dbPath, phase), puts, stored };
    } catch (e) {
      return { error: e as ActionError, puts, stored };
    } finally {
      await srv.close();
    }
  }

  test('sends If-Match with the downloaded ETag', async () => {
    const { result, puts } = await uploadWith(() => undefined);
    expect(result?.transferred).toBe(true);
    expect(puts).toEqual([{ 'if-match': '"v1"', 'if-none-match': undefined }]);
  });

  test('412 from the store (someone wrote in between): CONCURRENT_UPDATE, nothing stored', async () => {
    const { error, stored } = await uploadWith(() => [412, '<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>']);
    expect(error?.code).toBe('CONCURRENT_UPDATE');
    expect(stored).toBeUndefined();
  });

  test('an endpoint without conditional writes (501): falls back to a plain PUT', async () => {
    const { result, puts } = await uploadWith((req) =>
      req.headers['if-match'] ? [501, '<Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented</Message></Error>'] : undefined,
    );
    expect(result?.transferred).toBe(true);
    expect(puts).toHaveLength(2);
    expect(puts[1]['if-match']).toBeUndefined();
  });
});
