/**
 * Setup check for sqlite-s3 (scripts/validate-track-metrics-setup.sh runs the bundle of this
 * file). Validates unentropy.json and the S3 settings the way the action resolves them, then,
 * with the same S3 client settings as the action, checks the bucket: HeadBucket, the stored
 * database if any, and a put / get / delete of a small probe object next to the database key.
 * Prints one ✔/✘ line per check and what to fix; never prints credentials.
 */
import * as path from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { loadConfig } from './config/load-config';
import { resolveSettings } from './config/settings';
import type { S3Settings, Settings } from './config/types';
import { ActionError, toActionError } from './errors';
import { readInputs } from './inputs';
import { createS3Client, resolveCredentialsOrFail } from './storage/s3-client';
import { endpointHost, mapS3Error, redactSecrets } from './storage/s3-errors';

const USAGE = `Usage: validate-track-metrics-setup.sh [--config FILE] [--bucket NAME] [--endpoint URL] [--region REGION] [--key KEY]
       [--force-path-style true|false] [--workspace DIR]

Checks the sqlite-s3 setup of track-metrics: the config file, the S3 settings, credentials,
the bucket, and that the database key can be written, read back and deleted.

Settings are resolved like the action does (flag > unentropy.json > environment > default).
Flags stand for the action inputs: --config = config-file, --bucket = s3-bucket,
--endpoint = s3-endpoint, --region = s3-region, --key = database-key. INPUT_* variables
(INPUT_S3-BUCKET, ...) are read too. Credentials come from INPUT_S3-ACCESS-KEY-ID /
INPUT_S3-SECRET-ACCESS-KEY / INPUT_S3-SESSION-TOKEN, else the AWS credential chain
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, ...).
Exit status: 0 when everything the action needs works, 1 otherwise, 2 on bad usage.`;

const FLAGS: Record<string, string> = {
  '--config': 'config-file',
  '--bucket': 's3-bucket',
  '--endpoint': 's3-endpoint',
  '--region': 's3-region',
  '--key': 'database-key',
  '--force-path-style': 's3-force-path-style',
};

interface Reporter {
  ok(line: string): void;
  fail(line: string, fix?: string): void;
  note(line: string): void;
  failed: boolean;
}

function reporter(redact: (s: string) => string): Reporter {
  const out = (s: string) => process.stdout.write(`${redact(s)}\n`);
  const r: Reporter = {
    failed: false,
    ok: (line) => out(`✔ ${line}`),
    fail: (line, fix) => {
      r.failed = true;
      out(`✘ ${line}`);
      if (fix) out(`  fix: ${fix.replace(/\n/g, '\n       ')}`);
    },
    note: (line) => out(`• ${line}`),
  };
  return r;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): { inputs: Record<string, string>; workspace: string } | 'help' {
  const inputs = readInputs(env);
  let workspace = env.GITHUB_WORKSPACE || process.cwd();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return 'help';
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = inline ?? argv[++i];
    if (value === undefined || (!FLAGS[flag] && flag !== '--workspace')) {
      throw new UsageError(value === undefined && (FLAGS[flag] || flag === '--workspace') ? `${flag} needs a value` : `unknown argument ${arg}`);
    }
    if (flag === '--workspace') workspace = value;
    else inputs[FLAGS[flag]] = value;
  }
  return { inputs, workspace: path.resolve(workspace) };
}

class UsageError extends Error {}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv, env);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { inputs, workspace } = parsed;
  // The SDK's "Node 20 support ends" notice on stderr would only confuse a setup check.
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const secrets = [inputs['s3-secret-access-key'], inputs['s3-session-token'], env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN];
  const report = reporter((s) => redactSecrets(s, secrets));
  process.stdout.write('track-metrics setup check (sqlite-s3)\n');

  const settings = checkSettings(inputs, workspace, env, report);
  if (!settings) {
    process.stdout.write('\nSome checks failed: fix the ✘ lines above and run this again.\n');
    return 1;
  }
  await checkBucket(settings.s3, secrets, report);
  process.stdout.write(report.failed ? '\nSome checks failed: fix the ✘ lines above and run this again.\n' : '\nAll checks passed: the action can use this bucket.\n');
  return report.failed ? 1 : 0;
}

function checkSettings(inputs: Record<string, string>, workspace: string, env: NodeJS.ProcessEnv, report: Reporter): Settings | undefined {
  const configFile = path.resolve(workspace, inputs['config-file'] || 'unentropy.json');
  const shown = path.relative(workspace, configFile) || configFile;
  try {
    const config = loadConfig(configFile, shown);
    report.ok(`Config ${shown} is valid (${config.metrics.length} metric${config.metrics.length === 1 ? '' : 's'}).`);
    if (!inputs['storage-type'] && config.storage?.type && config.storage.type !== 'sqlite-s3') {
      report.note(`${shown} sets storage.type ${config.storage.type}; checking the S3 settings anyway (pass storage-type: sqlite-s3 to use them).`);
    }
    // The point of this script is the S3 setup, whatever the default storage type is.
    const settings = resolveSettings({ inputs: { ...inputs, 'storage-type': inputs['storage-type'] || 'sqlite-s3' }, config, env, workspace, configFile });
    const s3 = settings.s3;
    const where = s3.endpoint ? `endpoint ${endpointHost(s3.endpoint, s3.region)}` : 'AWS S3';
    report.ok(
      `S3 settings: bucket ${s3.bucket}, key ${s3.key}, region ${s3.region}, ${where}, ${s3.forcePathStyle ? 'path-style' : 'virtual-hosted-style'} addressing.`,
    );
    return settings;
  } catch (e) {
    const err = toActionError(e);
    report.fail(`${err.code}: ${err.message}`, localHint(err));
    return undefined;
  }
}

async function checkBucket(s3: S3Settings, secrets: Array<string | undefined>, report: Reporter): Promise<void> {
  let client: S3Client;
  try {
    client = createS3Client(s3, { requestTimeoutMs: 30_000 });
    await resolveCredentialsOrFail(client);
  } catch (e) {
    const err = toActionError(e);
    report.fail(`${err.code}: ${err.message}`, localHint(err));
    return;
  }
  report.ok(`Credentials found (${s3.accessKeyId ? 'from the s3-access-key-id / s3-secret-access-key inputs' : 'from the AWS credential chain'}).`);

  const bucket = s3.bucket!;
  const probeKey = `${s3.key}.track-metrics-setup-check-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const mapped = (operation: string, e: unknown, key = s3.key): ActionError =>
    mapS3Error(e, { operation, bucket, key, region: s3.region, endpoint: s3.endpoint, secrets });
  const fail = (err: ActionError) => report.fail(`${err.code}: ${err.message}`, localHint(err));

  try {
    let headBucketDenied: ActionError | undefined;
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
      report.ok(`Bucket ${bucket} exists and these credentials can list it (HeadBucket).`);
    } catch (e) {
      const err = mapped('HeadBucket', e);
      if (err.code !== 'S3_ACCESS_DENIED') return fail(err);
      // A HEAD 403 has no body: missing s3:ListBucket and a wrong key look the same. The GET below tells.
      headBucketDenied = err;
    }

    // A ranged GET of the database: its error bodies name the problem, and its first bytes show it is SQLite.
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: s3.key, Range: 'bytes=0-15' }));
      const head = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
      const total = /\/(\d+)$/.exec(got.ContentRange ?? '')?.[1] ?? got.ContentLength;
      if (head.toString('latin1') === 'SQLite format 3\0') {
        report.ok(`A database is stored at s3://${bucket}/${s3.key} (${total} bytes) and these credentials can read it.`);
      } else {
        report.fail(
          `The object at s3://${bucket}/${s3.key} is not a SQLite database (it does not start with "SQLite format 3").`,
          'Point database-key / storage.s3.key at a new key, or move that object away; the action would stop with DB_CORRUPT.',
        );
      }
    } catch (e) {
      const err = mapped('GetObject', e);
      const name = (e as { name?: string; Code?: string }).Code ?? (e as { name?: string }).name;
      if (err.code === 'S3_AUTH_FAILED') return fail(err);
      if (headBucketDenied) fail(headBucketDenied);
      if (name === 'NoSuchKey') report.ok(`No database at s3://${bucket}/${s3.key} yet: the first run will create it.`);
      else fail(err);
    }
    const body = Buffer.from(`track-metrics setup check ${new Date().toISOString()}\n`);
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: probeKey, Body: body, ContentLength: body.length, ContentType: 'text/plain', Metadata: { tool: 'track-metrics' } }));
      report.ok(`Wrote probe object s3://${bucket}/${probeKey} (PutObject).`);
    } catch (e) {
      fail(mapped('PutObject', e, probeKey));
      return;
    }

    try {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: probeKey }));
      const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
      if (bytes.equals(body)) report.ok(`Read it back: ${bytes.length} bytes, identical (GetObject).`);
      else {
        report.fail(
          `Read the probe back but got ${bytes.length} bytes that differ from the ${body.length} written.`,
          'Something between the runner and the storage (proxy, gateway) changes object bodies; the action would refuse such uploads (S3_UPLOAD_VERIFY_FAILED).',
        );
      }
    } catch (e) {
      fail(mapped('GetObject', e, probeKey));
    }

    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: probeKey }));
      report.ok('Deleted the probe object (DeleteObject).');
    } catch (e) {
      const err = mapped('DeleteObject', e, probeKey);
      // The action itself never deletes; a missing s3:DeleteObject is fine for it.
      if (err.code === 'S3_ACCESS_DENIED') {
        report.note(`Could not delete the probe object (s3:DeleteObject is not granted; the action does not need it). Delete s3://${bucket}/${probeKey} yourself.`);
      } else fail(err);
    }
  } finally {
    client.destroy();
  }
}

// Entry point of dist/setup-check/index.js. Exit explicitly so idle keep-alive sockets cannot hold it open.
void main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    const env = process.env;
    const secrets = [env['INPUT_S3-SECRET-ACCESS-KEY'], env['INPUT_S3-SESSION-TOKEN'], env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN];
    process.stderr.write(`setup check failed unexpectedly: ${redactSecrets(toActionError(e).message, secrets)}\n`);
    process.exit(1);
  },
);

/** On a terminal, credentials come from the shell, not from workflow secrets: say how. */
function localHint(err: ActionError): string | undefined {
  if (err.code !== 'S3_CONFIG_MISSING' || !/credential/i.test(err.message)) return err.hint;
  return 'Here, export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in this shell and run again. In the workflow: ' + (err.hint ?? '');
}
