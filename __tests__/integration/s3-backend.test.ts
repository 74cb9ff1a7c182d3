import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { S3Settings } from '../../src/config/types';
import { MetricsStore } from '../../src/db/metrics-store';
import { ActionError } from '../../src/errors';
import type { PhaseOptions } from '../../src/storage/backend';
import { createS3Client } from '../../src/storage/s3-client';
import { S3Backend, SINGLE_PUT_MAX_BYTES } from '../../src/storage/s3-backend';
import { makeDatabaseBytes } from '../helpers/seed-database';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, startS3Server, type S3TestServer } from '../helpers/s3-server';

const BUCKET = 'metrics';

let server: S3TestServer;
let tmp: string;
let admin: S3Client;

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
});
afterAll(async () => {
  admin?.destroy();
  await server?.stop();
});
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 's3-backend-'));
  admin = createS3Client(settings(), { requestTimeoutMs: 10_000 });
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function settings(over: Partial<S3Settings> = {}): S3Settings {
  return {
    endpoint: server.endpoint,
    bucket: BUCKET,
    region: 'us-east-1',
    key: `runs/${crypto.randomUUID()}.db`,
    accessKeyId: S3RVER_ACCESS_KEY_ID,
    secretAccessKey: S3RVER_SECRET_ACCESS_KEY,
    forcePathStyle: true,
    ...over,
  };
}

function backend(s: S3Settings, extra: Partial<ConstructorParameters<typeof S3Backend>[1]> = {}): S3Backend {
  return new S3Backend(s, { retryAttempts: 1, retryMinTimeoutMs: 10, requestTimeoutMs: 30_000, ...extra });
}

function phase(): PhaseOptions & { lines: string[] } {
  const lines: string[] = [];
  return { signal: new AbortController().signal, log: (l) => lines.push(l), lines };
}

/** A real metrics database (no builds), padded with random blobs to about `bytes`. */
function makeDatabase(file: string, bytes = 0): void {
  fs.writeFileSync(file, makeDatabaseBytes({ builds: 0, paddingBytes: bytes }));
}

async function remoteBytes(key: string): Promise<Buffer> {
  const res = await admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

async function remoteEtag(key: string): Promise<string | undefined> {
  return (await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ETag;
}

async function putRemote(key: string, body: Buffer): Promise<void> {
  await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function rejection(p: Promise<unknown>): Promise<ActionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ActionError);
    return err as ActionError;
  }
  throw new Error('expected a rejection');
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

test('a key that does not exist is a first run, and nothing is left at the database path', async () => {
  const s = settings();
  const b = backend(s);
  const dbPath = path.join(tmp, 'work', 'metrics.db');
  const result = await b.download(dbPath, phase());
  expect(result).toEqual({ firstRun: true, bytes: 0, notes: [`No database at s3://${BUCKET}/${s.key} yet: starting a new one.`] });
  expect(fs.existsSync(dbPath)).toBe(false);
  expect(b.location).toBe(`s3://${BUCKET}/${s.key}`);
  expect(b.transfers).toBe(true);
});

test('upload then download round-trips the file byte for byte, with sha256 metadata and content type', async () => {
  const s = settings();
  const src = path.join(tmp, 'src.db');
  makeDatabase(src, 64 * 1024);

  const uploader = backend(s);
  await uploader.download(path.join(tmp, 'unused.db'), phase()); // first run
  const up = await uploader.upload(src, phase());
  expect(up.transferred).toBe(true);
  expect(up.bytes).toBe(fs.statSync(src).size);

  const head = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: s.key }));
  expect(head.ContentType).toBe('application/vnd.sqlite3');
  expect(head.Metadata?.sha256).toBe(sha256(src));
  expect(head.Metadata?.tool).toBe('track-metrics');
  expect(head.ContentLength).toBe(fs.statSync(src).size);

  const dest = path.join(tmp, 'dest', 'metrics.db');
  const down = await backend(s).download(dest, phase());
  expect(down.firstRun).toBe(false);
  expect(down.bytes).toBe(fs.statSync(src).size);
  expect(fs.readFileSync(dest).equals(fs.readFileSync(src))).toBe(true);
  // No temp files left next to the database.
  expect(fs.readdirSync(path.dirname(dest))).toEqual(['metrics.db']);
});

test('a 20 MB database goes up as a multipart upload and verifies', async () => {
  const s = settings();
  const src = path.join(tmp, 'big.db');
  makeDatabase(src, 20 * 1024 * 1024);
  const size = fs.statSync(src).size;
  expect(size).toBeGreaterThan(SINGLE_PUT_MAX_BYTES);

  const b = backend(s);
  await b.download(path.join(tmp, 'first.db'), phase());
  const up = await b.upload(src, phase());
  expect(up.bytes).toBe(size);
  expect(up.notes.join(' ')).toContain('multipart');

  // s3rver marks multipart objects with a "-<parts>" ETag like S3 does not; check content instead.
  const head = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: s.key }));
  expect(head.Metadata?.sha256).toBe(sha256(src));
  expect(head.ContentType).toBe('application/vnd.sqlite3');

  const dest = path.join(tmp, 'big-copy.db');
  await backend(s).download(dest, phase());
  expect(sha256(dest)).toBe(sha256(src));
  // A second upload from the same backend is not mistaken for someone else's update.
  MetricsStore.open(dest).close();
  await expect(b.upload(src, phase())).resolves.toMatchObject({ transferred: true });
});

test('a wrong access key fails with S3_AUTH_FAILED and never echoes the secret', async () => {
  const secret = 'sEcReT-sentinel-4711-do-not-print';
  const b = backend(settings({ accessKeyId: 'AKIAWRONGKEY000', secretAccessKey: secret }));
  const err = await rejection(b.download(path.join(tmp, 'x.db'), phase()));
  expect(err.code).toBe('S3_AUTH_FAILED');
  expect(err.fullMessage).toContain('s3-access-key-id');
  for (const text of [err.message, err.fullMessage, String(err.stack)]) expect(text).not.toContain(secret);
  expect(fs.existsSync(path.join(tmp, 'x.db'))).toBe(false);
});

test('a missing bucket fails with S3_BUCKET_NOT_FOUND and is never created', async () => {
  const b = backend(settings({ bucket: 'no-such-bucket' }));
  const err = await rejection(b.download(path.join(tmp, 'x.db'), phase()));
  expect(err.code).toBe('S3_BUCKET_NOT_FOUND');
  expect(err.message).toContain('no-such-bucket');

  const src = path.join(tmp, 'src.db');
  makeDatabase(src);
  const upErr = await rejection(backend(settings({ bucket: 'no-such-bucket' })).upload(src, phase()));
  expect(upErr.code).toBe('S3_BUCKET_NOT_FOUND');

  const buckets = (await admin.send(new ListBucketsCommand({}))).Buckets?.map((x) => x.Name);
  expect(buckets).toEqual([BUCKET]);
});

test('an unreachable endpoint is S3_NETWORK naming the host, without user-info or secrets', async () => {
  const secret = 'another-Secret-value-9876';
  // A port that was just free: nothing listens there.
  const port = await freePort();
  const b = backend(settings({ endpoint: `http://127.0.0.1:${port}`, secretAccessKey: secret }), { retryAttempts: 1 });
  const p = phase();
  const err = await rejection(b.download(path.join(tmp, 'x.db'), p));
  expect(err.code).toBe('S3_NETWORK');
  expect(err.message).toContain(`127.0.0.1:${port}`);
  expect(err.fullMessage).not.toContain(secret);
  expect(p.lines.some((l) => l.includes('retrying'))).toBe(true);
});

test('an empty or non-SQLite file is refused and the stored object is unchanged', async () => {
  const s = settings();
  const src = path.join(tmp, 'src.db');
  makeDatabase(src, 8 * 1024);
  const b = backend(s);
  await b.download(path.join(tmp, 'first.db'), phase());
  await b.upload(src, phase());
  const before = await remoteEtag(s.key);
  const beforeBytes = await remoteBytes(s.key);

  const empty = path.join(tmp, 'empty.db');
  fs.writeFileSync(empty, '');
  const err = await rejection(b.upload(empty, phase()));
  expect(err.code).toBe('INTERNAL');
  expect(err.message).toContain('empty');

  const junk = path.join(tmp, 'junk.db');
  fs.writeFileSync(junk, crypto.randomBytes(4096));
  expect((await rejection(b.upload(junk, phase()))).code).toBe('INTERNAL');

  expect(await remoteEtag(s.key)).toBe(before);
  expect((await remoteBytes(s.key)).equals(beforeBytes)).toBe(true);
});

test('another run updating the object between download and upload is CONCURRENT_UPDATE, remote kept', async () => {
  const s = settings();
  const original = path.join(tmp, 'original.db');
  makeDatabase(original, 4 * 1024);
  const seeder = backend(s);
  await seeder.download(path.join(tmp, 'seed.db'), phase());
  await seeder.upload(original, phase());

  const runA = backend(s);
  const working = path.join(tmp, 'a', 'metrics.db');
  expect((await runA.download(working, phase())).firstRun).toBe(false);

  // Run B writes a different database meanwhile.
  const other = path.join(tmp, 'other.db');
  makeDatabase(other, 16 * 1024);
  await putRemote(s.key, fs.readFileSync(other));

  const err = await rejection(runA.upload(working, phase()));
  expect(err.code).toBe('CONCURRENT_UPDATE');
  expect(err.fullMessage).toMatch(/re-run/i);
  expect((await remoteBytes(s.key)).equals(fs.readFileSync(other))).toBe(true);
});

test('an object that appears after a first run is not overwritten', async () => {
  const s = settings();
  const runA = backend(s);
  expect((await runA.download(path.join(tmp, 'a.db'), phase())).firstRun).toBe(true);
  const other = path.join(tmp, 'other.db');
  makeDatabase(other);
  await putRemote(s.key, fs.readFileSync(other));

  const mine = path.join(tmp, 'mine.db');
  makeDatabase(mine, 4 * 1024);
  const err = await rejection(runA.upload(mine, phase()));
  expect(err.code).toBe('CONCURRENT_UPDATE');
  expect((await remoteBytes(s.key)).equals(fs.readFileSync(other))).toBe(true);
});

test('a stored object that is not SQLite is DB_CORRUPT: never a first run, never moved into place', async () => {
  const s = settings();
  const garbage = Buffer.from('definitely not a database\n'.repeat(100));
  await putRemote(s.key, garbage);
  const dbPath = path.join(tmp, 'metrics.db');
  const err = await rejection(backend(s).download(dbPath, phase()));
  expect(err.code).toBe('DB_CORRUPT');
  expect(err.message).toContain(`s3://${BUCKET}/${s.key}`);
  expect(fs.existsSync(dbPath)).toBe(false);
  const kept = fs.readdirSync(tmp).filter((f) => f.startsWith('metrics.db.corrupt-'));
  expect(kept).toHaveLength(1);
  expect(fs.readFileSync(path.join(tmp, kept[0]!)).equals(garbage)).toBe(true);
  expect((await remoteBytes(s.key)).equals(garbage)).toBe(true);
});

test('on-corrupt-database recreate copies the corrupt object aside on the server before starting over', async () => {
  const s = settings();
  const garbage = crypto.randomBytes(2048);
  await putRemote(s.key, garbage);
  const b = backend(s, { onCorruptDatabase: 'recreate' });
  const result = await b.download(path.join(tmp, 'metrics.db'), phase());
  expect(result.firstRun).toBe(true);
  expect(result.preservedCorruptCopy).toMatch(new RegExp(`^s3://${BUCKET}/${s.key.replace(/[.]/g, '\\.')}\\.corrupt-`));

  const copyKey = result.preservedCorruptCopy!.slice(`s3://${BUCKET}/`.length);
  expect((await remoteBytes(copyKey)).equals(garbage)).toBe(true);

  // The fresh database may now replace the corrupt one (same ETag as downloaded).
  const fresh = path.join(tmp, 'fresh.db');
  makeDatabase(fresh);
  await b.upload(fresh, phase());
  expect((await remoteBytes(s.key)).equals(fs.readFileSync(fresh))).toBe(true);
  const listed = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: s.key }));
  expect(listed.Contents?.map((o) => o.Key).sort()).toEqual([s.key, copyKey].sort());
});

test('an aborted signal stops the download with TIMEOUT and leaves no file', async () => {
  const s = settings();
  const src = path.join(tmp, 'src.db');
  makeDatabase(src);
  const b = backend(s);
  await b.download(path.join(tmp, 'first.db'), phase());
  await b.upload(src, phase());

  const controller = new AbortController();
  controller.abort();
  const dbPath = path.join(tmp, 'aborted', 'metrics.db');
  const err = await rejection(backend(s).download(dbPath, { signal: controller.signal, log: () => undefined }));
  expect(err.code).toBe('TIMEOUT');
  expect(fs.existsSync(dbPath)).toBe(false);
});

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

test('journal / WAL files of an earlier working copy are cleared, so they cannot be replayed into the download', async () => {
  const s = settings();
  const src = path.join(tmp, 'src.db');
  makeDatabase(src);
  const uploader = backend(s);
  await uploader.download(path.join(tmp, 'unused.db'), phase()); // first run
  await uploader.upload(src, phase());

  const dest = path.join(tmp, 'dest', 'metrics.db');
  fs.mkdirSync(path.dirname(dest));
  for (const suffix of ['-journal', '-wal', '-shm']) fs.writeFileSync(`${dest}${suffix}`, `stale ${suffix}`);
  const down = await backend(s).download(dest, phase());
  expect(down.firstRun).toBe(false);
  expect(fs.readdirSync(path.dirname(dest))).toEqual(['metrics.db']);
  expect(fs.readFileSync(dest).equals(fs.readFileSync(src))).toBe(true);
});
