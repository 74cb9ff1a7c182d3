/**
 * End to end through the committed bundle (dist/index.js) with sqlite-s3 against a real
 * S3 API (s3rver on 127.0.0.1), under Node 20 and Node 24, the way GitHub's runner starts it.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { MetricsStore } from '../../src/db/metrics-store';
import { createS3Client } from '../../src/storage/s3-client';
import { SINGLE_PUT_MAX_BYTES } from '../../src/storage/s3-backend';
import { makeTempDir, makeWorkspace, prepareActionDir, runAction, RUNTIMES, type ActionRun, type Runtime } from '../helpers/action-runner';
import { expectNoSecret } from '../helpers/secret-scan';
import { makeDatabaseBytes } from '../helpers/seed-database';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, startS3Server, type S3TestServer } from '../helpers/s3-server';

jest.setTimeout(60_000);

const BUCKET = 'metrics';
const CONFIG = {
  metrics: [
    { name: 'coverage', type: 'numeric', unit: '%', command: 'echo 81.5' },
    { name: 'status', type: 'label', command: 'echo healthy' },
  ],
};

let server: S3TestServer;
let admin: S3Client;
let actionDir: string;
/** A valid metrics database of ~20 MB (one build, plus a table of random blobs), built once. */
let bigDb: Buffer;

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
  admin = createS3Client(
    { endpoint: server.endpoint, bucket: BUCKET, region: 'us-east-1', key: 'unused', accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: S3RVER_SECRET_ACCESS_KEY, forcePathStyle: true },
    { requestTimeoutMs: 30_000 },
  );
  actionDir = prepareActionDir();
  bigDb = makeDatabaseBytes({ builds: 1, paddingBytes: 20 * 1024 * 1024 });
  expect(bigDb.length).toBeGreaterThan(SINGLE_PUT_MAX_BYTES);
  const check = path.join(makeTempDir('tm-bigdb-'), 'big.db');
  fs.writeFileSync(check, bigDb);
  expect(MetricsStore.validateFile(check)).toEqual({ ok: true });
});
afterAll(async () => {
  admin?.destroy();
  await server?.stop();
});

async function getObject(key: string, bucket = BUCKET): Promise<Buffer> {
  const res = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

function s3Inputs(key: string, over: Record<string, string> = {}): Record<string, string> {
  return {
    'storage-type': 'sqlite-s3',
    's3-endpoint': server.endpoint,
    's3-bucket': BUCKET,
    'database-key': key,
    's3-access-key-id': S3RVER_ACCESS_KEY_ID,
    's3-secret-access-key': S3RVER_SECRET_ACCESS_KEY,
    'retry-attempts': '0',
    ...over,
  };
}

function sha256(bytes: Buffer): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

function expectSuccess(run: ActionRun): void {
  if (run.code !== 0) throw new Error(`action failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  expect(run.outputs.success).toBe('true');
}

const runtimes: Runtime[] = ['node20', 'node24'];

describe.each(runtimes)('sqlite-s3 under %s', (runtime) => {
  beforeAll(() => expect(fs.existsSync(RUNTIMES[runtime])).toBe(true));

  test('first run creates the object, second run finds it; content type, sha256 metadata and size are right', async () => {
    const key = `${runtime}/team/app.db`;
    const ws = makeWorkspace(CONFIG);

    const first = await runAction({ runtime, actionDir, workspace: ws, inputs: s3Inputs(key), runId: '101' });
    expectSuccess(first);
    expect(first.summary).toMatch(/First run:\*\* no database existed yet/);
    expect(first.outputs['storage-type']).toBe('sqlite-s3');
    expect(first.outputs['database-location']).toBe(`s3://${BUCKET}/${key}`);
    expect(first.outputs['total-builds']).toBe('1');
    let head = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Number(first.outputs['database-size'])).toBe(head.ContentLength);
    // The working copy lives under RUNNER_TEMP by default in S3 mode, not in the workspace.
    expect(fs.existsSync(path.join(ws, 'unentropy-metrics.db'))).toBe(false);

    const second = await runAction({ runtime, actionDir, workspace: ws, inputs: s3Inputs(key), runId: '102' });
    expectSuccess(second);
    expect(second.outputs['total-builds']).toBe('2');
    expect(second.summary).not.toMatch(/First run/);

    head = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const stored = await getObject(key);
    expect(head.ContentType).toBe('application/vnd.sqlite3');
    expect(head.Metadata?.sha256).toBe(sha256(stored));
    expect(Number(second.outputs['database-size'])).toBe(stored.length);
    expect(stored.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
  });

  test('a ~20 MB database goes up as a multipart upload and verifies', async () => {
    const key = `${runtime}/big.db`;
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bigDb, ContentType: 'application/vnd.sqlite3' }));
    const ws = makeWorkspace(CONFIG);

    const run = await runAction({ runtime, actionDir, workspace: ws, inputs: s3Inputs(key), runId: '201' });
    expectSuccess(run);
    expect(run.outputs['total-builds']).toBe('2');
    expect(run.stdout).toMatch(/to s3:\/\/metrics\/\S+ \(multipart\); size and SHA-256 verified/);

    const head = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const stored = await getObject(key);
    expect(stored.length).toBeGreaterThan(SINGLE_PUT_MAX_BYTES);
    expect(Number(run.outputs['database-size'])).toBe(stored.length);
    expect(head.ContentLength).toBe(stored.length);
    expect(head.Metadata?.sha256).toBe(sha256(stored));
    // (s3rver gives multipart objects a whole-content MD5 ETag, unlike AWS, so the log line
    // above is the evidence of multipart; verification relies on size + sha256 either way.)
  });

  test('a wrong access key id: S3_AUTH_FAILED, non-zero exit, stored object unchanged', async () => {
    const key = `${runtime}/auth.db`;
    await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'previous-bytes' }));
    const before = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    const ws = makeWorkspace(CONFIG);

    const run = await runAction({ runtime, actionDir, workspace: ws, inputs: s3Inputs(key, { 's3-access-key-id': 'AKIAWRONGKEY000000' }) });
    expect(run.code).not.toBe(0);
    expect(run.outputs.success).toBe('false');
    expect(run.outputs['error-code']).toBe('S3_AUTH_FAILED');
    expect(run.outputs['error-message']).toMatch(/s3-access-key-id/);
    const after = await admin.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(after.ETag).toBe(before.ETag);
    expect(after.LastModified).toEqual(before.LastModified);
    expect((await getObject(key)).toString()).toBe('previous-bytes');
  });

  test('a missing bucket: S3_BUCKET_NOT_FOUND, and no bucket is created', async () => {
    const missing = `absent-${runtime}`;
    const bucketsBefore = (await admin.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name).sort();
    const ws = makeWorkspace(CONFIG);

    const run = await runAction({ runtime, actionDir, workspace: ws, inputs: s3Inputs('app.db', { 's3-bucket': missing }) });
    expect(run.code).not.toBe(0);
    expect(run.outputs['error-code']).toBe('S3_BUCKET_NOT_FOUND');
    expect(run.outputs['error-message']).toContain(missing);
    const bucketsAfter = (await admin.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name).sort();
    expect(bucketsAfter).toEqual(bucketsBefore);
    expect(bucketsAfter).not.toContain(missing);
  });

  test('a recognisable secret appears in no stdout, stderr, summary, output file or database', async () => {
    // s3rver checks the key id but not the signature, so any secret works with key id S3RVER.
    const secret = `tm-SECRET-7f3a9c-${runtime}-e41d0b`;
    const key = `${runtime}/secret.db`;
    const ws = makeWorkspace({
      metrics: [
        { name: 'coverage', type: 'numeric', command: 'echo 12' },
        // Metric commands see the runner environment, where configure-aws-credentials puts keys.
        { name: 'leak', type: 'label', command: 'echo "$AWS_SECRET_ACCESS_KEY"' },
      ],
    });
    const env = { AWS_SECRET_ACCESS_KEY: secret, AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY_ID };
    const inputs = s3Inputs(key, { 's3-secret-access-key': secret, verbose: 'true' });
    const dbPath = path.join(makeTempDir('tm-secret-db-'), 'work.db');

    const ok = await runAction({ runtime, actionDir, workspace: ws, env, inputs: { ...inputs, 'database-path': dbPath } });
    expectSuccess(ok);
    // A failing run prints error messages too: they must not carry the secret either.
    const failed = await runAction({ runtime, actionDir, workspace: ws, env, inputs: { ...inputs, 's3-bucket': 'no-such-bucket' } });
    expect(failed.outputs['error-code']).toBe('S3_BUCKET_NOT_FOUND');

    const stored = await getObject(key);
    expectNoSecret({ ...ok, workspace: ws }, secret, [stored, fs.readFileSync(dbPath)]);
    expectNoSecret({ ...failed, workspace: ws }, secret);
    // ...and the label was recorded, masked, so the check above is not vacuous.
    expect(ok.outputs['metrics-collected']).toBe('2');
    const db = new Database(dbPath, { readonly: true });
    const leak = db
      .prepare(`SELECT v.value_label AS v FROM metric_values v JOIN metric_definitions d ON d.id = v.metric_id WHERE d.name = 'leak'`)
      .get() as { v: string };
    db.close();
    expect(leak.v).toBe('***');
  });
});
