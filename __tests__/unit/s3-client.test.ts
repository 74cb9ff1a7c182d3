import * as net from 'node:net';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { S3Settings } from '../../src/config/types';
import { ActionError } from '../../src/errors';
import { createS3Client, resolveCredentialsOrFail } from '../../src/storage/s3-client';
import { mapS3Error } from '../../src/storage/s3-errors';

const base: S3Settings = {
  endpoint: 'http://127.0.0.1:9',
  bucket: 'metrics',
  region: 'eu-central-1',
  key: 'm.db',
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'secret-example',
  forcePathStyle: true,
};

test('the client asks for checksums only when required, never retries itself, and uses the settings', async () => {
  const client = createS3Client(base, { requestTimeoutMs: 1000 });
  const config = client.config as unknown as Record<string, unknown>;
  const resolve = async (v: unknown) => (typeof v === 'function' ? (v as () => Promise<unknown>)() : v);
  expect(await resolve(config.requestChecksumCalculation)).toBe('WHEN_REQUIRED');
  expect(await resolve(config.responseChecksumValidation)).toBe('WHEN_REQUIRED');
  expect(await resolve(config.maxAttempts)).toBe(1);
  expect(await client.config.region()).toBe('eu-central-1');
  expect(client.config.forcePathStyle).toBe(true);
  const creds = await client.config.credentials();
  expect(creds.accessKeyId).toBe('AKIDEXAMPLE');
  expect(creds.secretAccessKey).toBe('secret-example');
  client.destroy();
});

test('half a key pair is a settings error naming both inputs', () => {
  let err: unknown;
  try {
    createS3Client({ ...base, secretAccessKey: undefined }, { requestTimeoutMs: 1000 });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ActionError);
  expect((err as ActionError).code).toBe('S3_CONFIG_MISSING');
  expect((err as ActionError).message).toContain('s3-secret-access-key');
  expect((err as ActionError).fullMessage).toContain('${{ secrets.');
});

describe('credential chain', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  function isolateChain(): void {
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  }

  test('no inputs and nothing in the default chain is S3_CONFIG_MISSING with an example', async () => {
    isolateChain();
    const client = createS3Client({ ...base, accessKeyId: undefined, secretAccessKey: undefined }, { requestTimeoutMs: 1000 });
    let err: unknown;
    try {
      await resolveCredentialsOrFail(client);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ActionError);
    const e = err as ActionError;
    expect(e.code).toBe('S3_CONFIG_MISSING');
    expect(e.message).toContain('s3-access-key-id');
    expect(e.message).toContain('AWS_ACCESS_KEY_ID');
    expect(e.hint).toContain('aws-actions/configure-aws-credentials');
    expect(e.hint).toContain('s3-secret-access-key: ${{ secrets.');
    client.destroy();
  });

  test('the default chain is used when no inputs are given', async () => {
    isolateChain();
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-from-env';
    const client = createS3Client({ ...base, accessKeyId: undefined, secretAccessKey: undefined }, { requestTimeoutMs: 1000 });
    await expect(resolveCredentialsOrFail(client)).resolves.toBeUndefined();
    expect((await client.config.credentials()).accessKeyId).toBe('AKIDFROMENV');
    client.destroy();
  });
});

test('a server that accepts the connection but never answers times out instead of hanging', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s)); // reads nothing, writes nothing
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const client = createS3Client({ ...base, endpoint: `http://127.0.0.1:${port}` }, { requestTimeoutMs: 400 });
  const started = Date.now();
  let err: unknown;
  try {
    await client.send(new HeadBucketCommand({ Bucket: 'metrics' }));
  } catch (e) {
    err = e;
  } finally {
    client.destroy();
    sockets.forEach((s) => s.destroy());
    server.close();
  }
  expect(Date.now() - started).toBeLessThan(5000);
  expect(err).toBeDefined();
  const mapped = mapS3Error(err, { operation: 'HeadBucket', bucket: 'metrics', key: 'm.db', region: 'eu-central-1', endpoint: `http://127.0.0.1:${port}` });
  expect(mapped.code).toBe('S3_NETWORK');
  expect(mapped.message).toContain(`127.0.0.1:${port}`);
});
