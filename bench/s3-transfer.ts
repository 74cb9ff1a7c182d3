/**
 * `npm run bench:s3`: S3Backend's download and upload phases next to a plain SDK transfer of
 * the same file (the limit), for a 10 MB and a 100 MB valid metrics database, against a local
 * s3rver. Not a test: it prints a table for docs/performance.md.
 *
 * Method: the parent starts s3rver and creates the databases; every case runs in its own child
 * process (so its peak RSS, process.resourceUsage().maxRSS, is its own), repeats the transfer
 * and reports the median wall time. "ours" is the whole phase as the action runs it:
 *   download = HeadBucket + streamed GetObject + length check + header/quick_check validation
 *   upload   = validation + SHA-256 pass + HeadObject (concurrent-update guard)
 *              + PutObject (<= 16 MiB) or multipart Upload + HeadObject verification
 * "raw" is one streamed GetObject to a file / one PutObject from a file stream (10 MB) or a
 * lib-storage Upload with the backend's part size and queue (100 MB).
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import Database from 'better-sqlite3';
import type { S3Settings } from '../src/config/types';
import { MetricsStore } from '../src/db/metrics-store';
import { createS3Client } from '../src/storage/s3-client';
import { S3Backend, SINGLE_PUT_MAX_BYTES } from '../src/storage/s3-backend';

const BUCKET = 'bench';
const SIZES_MB = [10, 100];
const REPEATS: Record<number, number> = { 10: 4, 100: 2 };
/** children per case, alternating ours and raw */
const ROUNDS = 4;
const PART_SIZE = 8 * 1024 * 1024; // as S3Backend

type CaseName = 'download-ours' | 'download-raw' | 'upload-ours' | 'upload-raw' | 'sha256' | 'validate' | 'idle';

interface ChildArgs {
  name: CaseName;
  endpoint: string;
  file: string;
  key: string;
  repeats: number;
  work: string;
}
interface ChildResult {
  name: CaseName;
  ms: number[];
  maxRssMb: number;
}

function settings(endpoint: string, key: string): S3Settings {
  return { endpoint, bucket: BUCKET, region: 'us-east-1', key, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true };
}

const phase = () => ({ signal: new AbortController().signal, log: () => undefined });

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** One case, in a child process. */
async function child(a: ChildArgs): Promise<ChildResult> {
  const client = createS3Client(settings(a.endpoint, a.key), { requestTimeoutMs: 300_000 });
  const size = fs.statSync(a.file).size;
  const ms: number[] = [];
  for (let i = 0; i < a.repeats; i++) {
    const out = path.join(a.work, `${a.name}-${i}.db`);
    switch (a.name) {
      case 'download-ours': {
        const backend = new S3Backend(settings(a.endpoint, a.key), { retryAttempts: 0, client });
        ms.push(await timed(async () => void (await backend.download(out, phase()))));
        break;
      }
      case 'download-raw':
        ms.push(
          await timed(async () => {
            const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: a.key }));
            await pipeline(res.Body as NodeJS.ReadableStream, fs.createWriteStream(out));
          }),
        );
        break;
      case 'upload-ours': {
        // A fresh key: download() sees "no such key", so the guard expects no object, as on a first run.
        const key = `${a.key}.up-${crypto.randomUUID()}`;
        const backend = new S3Backend(settings(a.endpoint, key), { retryAttempts: 0, client });
        await backend.download(out, phase());
        fs.copyFileSync(a.file, out);
        ms.push(await timed(async () => void (await backend.upload(out, phase()))));
        break;
      }
      case 'upload-raw': {
        const key = `${a.key}.raw-${crypto.randomUUID()}`;
        ms.push(
          await timed(async () => {
            if (size <= SINGLE_PUT_MAX_BYTES) {
              await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: fs.createReadStream(a.file), ContentLength: size }));
            } else {
              await new Upload({ client, params: { Bucket: BUCKET, Key: key, Body: fs.createReadStream(a.file) }, partSize: PART_SIZE, queueSize: 4 }).done();
            }
          }),
        );
        break;
      }
      case 'sha256':
        ms.push(
          await timed(async () => {
            const hash = crypto.createHash('sha256');
            for await (const chunk of fs.createReadStream(a.file)) hash.update(chunk as Buffer);
            hash.digest('hex');
          }),
        );
        break;
      case 'validate':
        ms.push(await timed(async () => void MetricsStore.validateFile(a.file)));
        break;
      case 'idle':
        ms.push(0);
        break;
    }
    fs.rmSync(out, { force: true });
  }
  client.destroy();
  return { name: a.name, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

function runChild(a: ChildArgs): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), __filename, 'child', JSON.stringify(a)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildResult) : reject(new Error(`${a.name} exited ${code}`))));
  });
}

/** A valid metrics database of about `mb` MB: one build plus a table of random blobs. */
function makeDatabase(file: string, mb: number): void {
  const store = MetricsStore.open(file);
  store.recordBuild(
    { commitSha: 'a'.repeat(40), branch: 'main', runId: '1', runNumber: 1, runAttempt: 1, actor: 'bench', eventName: 'push', repository: 'acme/app', timestamp: new Date().toISOString(), inActions: false },
    [{ name: 'n', type: 'numeric', command: 'echo 1' }],
    [{ name: 'n', type: 'numeric', ok: true, value: 1, durationMs: 1 }],
  );
  store.close();
  const db = new Database(file);
  db.exec('CREATE TABLE padding (id INTEGER PRIMARY KEY, blob BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO padding (blob) VALUES (?)');
  const total = mb * 1024 * 1024 - fs.statSync(file).size;
  for (let done = 0; done < total; done += 256 * 1024) insert.run(crypto.randomBytes(256 * 1024));
  db.close();
  const check = MetricsStore.validateFile(file);
  if (!check.ok) throw new Error(check.reason);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function parent(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as new (o: Record<string, unknown>) => { run(): Promise<{ port: number }>; close(): Promise<void> };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-bench-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(work, 's3'), configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = createS3Client(settings(endpoint, 'x'), { requestTimeoutMs: 300_000 });
  const rows: string[][] = [];
  const parts: string[][] = [];
  try {
    const idle = await runChild({ name: 'idle', endpoint, file: __filename, key: 'x', repeats: 1, work });
    rows.push(['baseline (modules loaded, no transfer)', '-', '-', '-', '-', idle.maxRssMb.toFixed(0), '-']);
    for (const mb of SIZES_MB) {
      const file = path.join(work, `db-${mb}.db`);
      makeDatabase(file, mb);
      const size = fs.statSync(file).size;
      const key = `bench/${mb}mb.db`;
      await new Upload({ client: admin, params: { Bucket: BUCKET, Key: key, Body: fs.createReadStream(file) }, partSize: PART_SIZE }).done();
      const repeats = REPEATS[mb];
      const run = (name: CaseName) => runChild({ name, endpoint, file, key, repeats, work });
      for (const dir of ['download', 'upload'] as const) {
        // Alternate ours/raw children so drift in machine load hits both alike.
        const ours: ChildResult[] = [];
        const raw: ChildResult[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          ours.push(await run(`${dir}-ours`));
          raw.push(await run(`${dir}-raw`));
        }
        const o = median(ours.flatMap((c) => c.ms));
        const r = median(raw.flatMap((c) => c.ms));
        const rss = (cs: ChildResult[]) => Math.max(...cs.map((c) => c.maxRssMb)).toFixed(0);
        rows.push([dir, `${(size / 1024 / 1024).toFixed(1)} MiB`, o.toFixed(0), r.toFixed(0), (o / r).toFixed(2), rss(ours), rss(raw)]);
      }
      const sha = await run('sha256');
      const val = await run('validate');
      parts.push([`${(size / 1024 / 1024).toFixed(1)} MiB`, median(sha.ms).toFixed(0), median(val.ms).toFixed(0)]);
    }
  } finally {
    admin.destroy();
    await server.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const table = (head: string[], body: string[][]) =>
    [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(`track-metrics S3 transfer benchmark, ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
  console.log(`median of ${ROUNDS * REPEATS[10]} (10 MB) / ${ROUNDS * REPEATS[100]} (100 MB) transfers per case, in ${ROUNDS} child processes per case alternating ours/raw; peak RSS = highest process.resourceUsage().maxRSS of those children; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log(table(['case', 'size', 'ours ms', 'raw ms', 'ratio', 'peak RSS MB (ours)', 'peak RSS MB (raw)'], rows));
  console.log('\nWhere the extra time goes (one pass over the file, no network):\n');
  console.log(table(['size', 'SHA-256 pass ms', 'header + quick_check ms'], parts));
}

if (process.argv[2] === 'child') {
  // The SDK's Node 20 notice would interleave with the JSON result line.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  child(JSON.parse(process.argv[3]) as ChildArgs).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  parent().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
