/**
 * scripts/validate-track-metrics-setup.sh (running the committed dist/setup-check bundle) against
 * a real S3 API (s3rver on 127.0.0.1).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/storage/s3-client';
import { makeWorkspace } from '../helpers/action-runner';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, startS3Server, type S3TestServer } from '../helpers/s3-server';

jest.setTimeout(30_000);

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'validate-track-metrics-setup.sh');
const BUCKET = 'metrics';
// s3rver checks the key id only, so a distinctive secret works and can be searched for.
const SECRET = 'tm-SETUP-SECRET-5b9e2c71d0';
const CONFIG = { metrics: [{ name: 'n', type: 'numeric', command: 'echo 1' }] };

let server: S3TestServer;
let admin: S3Client;

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
  admin = createS3Client(
    { endpoint: server.endpoint, bucket: BUCKET, region: 'us-east-1', key: 'x', accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: S3RVER_SECRET_ACCESS_KEY, forcePathStyle: true },
    { requestTimeoutMs: 10_000 },
  );
});
afterAll(async () => {
  admin?.destroy();
  await server?.stop();
});

interface CheckRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the script asynchronously: s3rver lives in this process, so a sync spawn would deadlock. */
function check(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CheckRun> {
  const child = spawn('bash', [SCRIPT, ...args], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: options.cwd,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: S3RVER_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function keysUnder(prefix: string): Promise<string[]> {
  const res = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

test('a good bucket: exit 0, every line ✔, and no probe object is left behind', async () => {
  const ws = makeWorkspace(CONFIG);
  const run = await check(['--bucket', BUCKET, '--endpoint', server.endpoint, '--key', 'good/app.db'], { cwd: ws });
  expect(run.code).toBe(0);
  const lines = run.stdout.split('\n').filter((l) => /^[✔✘•]/.test(l));
  expect(lines.length).toBeGreaterThanOrEqual(8);
  expect(lines.every((l) => l.startsWith('✔'))).toBe(true);
  expect(run.stdout).toMatch(/No database at s3:\/\/metrics\/good\/app\.db yet/);
  expect(run.stdout).toMatch(/Wrote probe object s3:\/\/metrics\/good\/app\.db\.track-metrics-setup-check-\S+/);
  expect(run.stdout).toMatch(/Read it back: \d+ bytes, identical/);
  expect(await keysUnder('good/')).toEqual([]);
  expect(run.stdout + run.stderr).not.toContain(SECRET);
  // The SDK's Node 20 deprecation notice is silenced: stderr stays empty on success.
  expect(run.stderr).toBe('');
});

test('settings from unentropy.json (storage.s3) and an existing database are reported', async () => {
  const ws = makeWorkspace({ ...CONFIG, storage: { type: 'sqlite-s3', s3: { endpoint: server.endpoint, bucket: BUCKET, key: 'cfg/app.db' } } });
  fs.renameSync(path.join(ws, 'unentropy.json'), path.join(ws, 'metrics.json'));
  const sqliteHeader = Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4080)]);
  await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'cfg/app.db', Body: sqliteHeader }));

  const run = await check(['--config', 'metrics.json'], { cwd: ws });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('✔ Config metrics.json is valid (1 metric).');
  expect(run.stdout).toMatch(/bucket metrics, key cfg\/app\.db, region us-east-1, endpoint 127\.0\.0\.1:\d+, path-style/);
  expect(run.stdout).toContain(`✔ A database is stored at s3://metrics/cfg/app.db (${sqliteHeader.length} bytes)`);
  expect(await keysUnder('cfg/')).toEqual(['cfg/app.db']);
});

test('a missing bucket: exit non-zero with the fix, and no bucket is created', async () => {
  const ws = makeWorkspace(CONFIG);
  const run = await check(['--bucket', 'no-such-bucket', '--endpoint', server.endpoint], { cwd: ws });
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/^✘ S3_BUCKET_NOT_FOUND: Bucket no-such-bucket does not exist/m);
  expect(run.stdout).toMatch(/^ {2}fix: Create the bucket no-such-bucket/m);
  expect(run.stdout).not.toMatch(/probe object/);
  const buckets = (await admin.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name);
  expect(buckets).toEqual([BUCKET]);
  expect(run.stdout + run.stderr).not.toContain(SECRET);
});

test('a wrong access key id: S3_AUTH_FAILED with what to check; the secret is never printed', async () => {
  const ws = makeWorkspace(CONFIG);
  const run = await check(['--bucket', BUCKET, '--endpoint', server.endpoint, '--key', 'auth/app.db'], {
    cwd: ws,
    env: { AWS_ACCESS_KEY_ID: 'AKIAWRONG000000000' },
  });
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/^✘ S3_AUTH_FAILED: /m);
  expect(run.stdout).toMatch(/fix: Check the s3-access-key-id and s3-secret-access-key/);
  expect(run.stdout + run.stderr).not.toContain(SECRET);
  expect(await keysUnder('auth/')).toEqual([]);
});

test('no credentials and an invalid config are reported as such', async () => {
  const ws = makeWorkspace(CONFIG);
  const noCreds = await check(['--bucket', BUCKET, '--endpoint', server.endpoint], {
    cwd: ws,
    env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
  });
  expect(noCreds.code).toBe(1);
  expect(noCreds.stdout).toMatch(/^✘ S3_CONFIG_MISSING: No S3 credentials/m);

  const bad = makeWorkspace({ metrics: [{ name: 'n', type: 'numeric', comand: 'echo 1' }] });
  const invalid = await check(['--bucket', BUCKET, '--endpoint', server.endpoint], { cwd: bad });
  expect(invalid.code).toBe(1);
  expect(invalid.stdout).toMatch(/^✘ CONFIG_INVALID: .*unentropy\.json/m);
  expect(invalid.stdout).not.toMatch(/Credentials found/);

  const usage = await check(['--bucket'], { cwd: ws });
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/--bucket needs a value/);
});
