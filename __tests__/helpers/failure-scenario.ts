import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { MetricDefinition } from '../../src/config/types';
import { MetricsStore } from '../../src/db/metrics-store';
import { createS3Client } from '../../src/storage/s3-client';
import { makeTempDir, makeWorkspace, prepareActionDir, runAction, type ActionRun, type RunOptions } from './action-runner';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { TEST_SECRET } from './secret-scan';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY, startS3Server, type S3TestServer } from './s3-server';

/**
 * One s3rver, a fault proxy in front of it, and the committed action, for the failures-* suites.
 * The action talks to the proxy; assertions about the remote object read s3rver directly.
 */

export const BUCKET = 'metrics';

export const METRICS: MetricDefinition[] = [
  { name: 'coverage', type: 'numeric', unit: '%', command: 'echo 87.5' },
  { name: 'status', type: 'label', command: 'echo healthy' },
];

export interface FailureEnv {
  server: S3TestServer;
  proxy: FaultProxy;
  actionDir: string;
  /** talks to s3rver directly, never through the proxy */
  admin: S3Client;
  stop(): Promise<void>;
}

/**
 * One s3rver + fault proxy for a test file: started before its tests, stopped after, with the
 * proxy's fault rules reset before each test. Use the returned object only inside tests.
 */
export function useFailureEnv(): FailureEnv {
  let current: FailureEnv | undefined;
  beforeAll(async () => {
    current = await startFailureEnv();
  });
  afterAll(async () => current?.stop());
  beforeEach(() => current?.proxy.reset());
  return new Proxy({} as FailureEnv, {
    get: (_target, prop) => {
      if (!current) throw new Error('the failure environment is used outside a test');
      return current[prop as keyof FailureEnv];
    },
  });
}

export async function startFailureEnv(): Promise<FailureEnv> {
  const server = await startS3Server({ buckets: [BUCKET] });
  const proxy = await startFaultProxy(server);
  const admin = createS3Client(
    {
      endpoint: server.endpoint,
      bucket: BUCKET,
      region: 'us-east-1',
      key: 'unused',
      accessKeyId: S3RVER_ACCESS_KEY_ID,
      secretAccessKey: S3RVER_SECRET_ACCESS_KEY,
      forcePathStyle: true,
    },
    { requestTimeoutMs: 30_000 },
  );
  return {
    server,
    proxy,
    actionDir: prepareActionDir(),
    admin,
    async stop() {
      admin.destroy();
      await proxy.stop();
      await server.stop();
    },
  };
}

export function uniqueKey(label: string): string {
  return `${label}-${crypto.randomBytes(4).toString('hex')}/metrics.db`;
}

export { makeDatabaseBytes } from './seed-database';

export async function putRemote(env: FailureEnv, key: string, body: Buffer): Promise<void> {
  await env.admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

/** The stored object read straight from s3rver; undefined when there is none. */
export async function remoteBytes(env: FailureEnv, key: string): Promise<Buffer | undefined> {
  try {
    const res = await env.admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

export async function listKeys(env: FailureEnv, prefix: string): Promise<string[]> {
  const res = await env.admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

/** Builds and labels stored in database bytes, read with the real store. */
export function readDatabase(bytes: Buffer): { builds: number; statusLabels: string[]; coverage: number[] } {
  const dir = makeTempDir('tm-read-');
  const file = path.join(dir, 'read.db');
  fs.writeFileSync(file, bytes);
  const store = MetricsStore.open(file);
  try {
    return {
      builds: store.countBuilds(),
      statusLabels: store.history('status', 100).map((h) => String(h.value)),
      coverage: store.history('coverage', 100).map((h) => Number(h.value)),
    };
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface ScenarioOptions extends Partial<Omit<RunOptions, 'inputs'>> {
  key: string;
  inputs?: Record<string, string>;
  metrics?: MetricDefinition[];
  secretAccessKey?: string;
}

/** Runs the committed action in sqlite-s3 mode through the fault proxy. */
export async function runThroughProxy(env: FailureEnv, opts: ScenarioOptions): Promise<ActionRun & { workspace: string }> {
  const workspace = opts.workspace ?? makeWorkspace({ metrics: opts.metrics ?? METRICS });
  const run = await runAction({
    ...opts,
    actionDir: env.actionDir,
    workspace,
    inputs: {
      'storage-type': 'sqlite-s3',
      's3-endpoint': env.proxy.endpoint,
      's3-bucket': BUCKET,
      's3-region': 'us-east-1',
      'database-key': opts.key,
      's3-access-key-id': S3RVER_ACCESS_KEY_ID,
      // s3rver checks the key id but not signatures, so any secret value works.
      's3-secret-access-key': opts.secretAccessKey ?? TEST_SECRET,
      'retry-attempts': '2',
      timeout: '60',
      ...opts.inputs,
    },
  });
  // FAILURES_TRANSCRIPT=<file> collects what users see per scenario (for docs and the closing note).
  if (process.env.FAILURES_TRANSCRIPT) {
    const seen = [`## ${expect.getState().currentTestName}`, `exit ${run.code}, error-code ${run.outputs['error-code'] || '(none)'}`];
    seen.push(...run.stdout.split('\n').filter((l) => /^::(error|warning)::|retrying in|Received SIG|preserved at|copied to/.test(l)));
    if (run.stderr.trim()) seen.push(`stderr: ${run.stderr.trim()}`);
    fs.appendFileSync(process.env.FAILURES_TRANSCRIPT, `${seen.join('\n')}\n\n`);
  }
  return { ...run, workspace };
}

/** Every file under a directory, recursively (for grepping what the action wrote). */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

/** The runner-temp folder runAction gave the action (next to its output file). */
export function runnerTempOf(run: ActionRun): string {
  return path.join(path.dirname(run.outputFile), 'runner-temp');
}

/** The annotation line the runner shows for a failed step (`::error::...` from core.setFailed). */
export function failureLine(run: ActionRun): string {
  return run.stdout.split('\n').find((l) => l.startsWith('::error::') && l.includes(run.outputs['error-code'] ?? '\0')) ?? '';
}
