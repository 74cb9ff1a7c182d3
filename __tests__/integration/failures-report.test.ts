import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveSettings } from '../../src/config/settings';
import type { Logger } from '../../src/log';
import { ReportService } from '../../src/report/report-service';
import type { ReportData } from '../../src/report/types';
import { SecretRegistry } from '../../src/secrets';
import { S3Backend } from '../../src/storage/s3-backend';
import { Workflow } from '../../src/workflow/workflow';
import { makeTempDir } from '../helpers/action-runner';
import { buildContext } from '../helpers/db-scenario';
import {
  BUCKET,
  METRICS,
  makeDatabaseBytes,
  putRemote,
  readDatabase,
  remoteBytes,
  startFailureEnv,
  uniqueKey,
  type FailureEnv,
} from '../helpers/failure-scenario';
import { S3RVER_ACCESS_KEY_ID, S3RVER_SECRET_ACCESS_KEY } from '../helpers/s3-server';

/**
 * Upload runs before the report, so a report that fails never costs data. The committed action
 * has no way to make its report fail from outside (an unwritable summary falls back to the log),
 * so this drives the real Workflow and S3 backend against s3rver with a report that throws.
 */

jest.setTimeout(30_000);

class BrokenReport extends ReportService {
  calls = 0;
  override async write(_data: ReportData): Promise<string> {
    this.calls++;
    throw new Error('disk full while writing the report');
  }
}

function recordingLogger(lines: string[]): Logger {
  const push = (prefix: string) => (l: string) => void lines.push(`${prefix}${l}`);
  return { info: push(''), warning: push('warning: '), error: push('error: '), debug: push('debug: '), group: (_n, fn) => fn() };
}

let env: FailureEnv;
beforeAll(async () => {
  env = await startFailureEnv();
});
afterAll(async () => env?.stop());

test('a report that fails after a good upload fails the step but the update is stored', async () => {
  const key = uniqueKey('report-fails');
  await putRemote(env, key, makeDatabaseBytes({ builds: 2 }));
  const workspace = makeTempDir('tm-ws-');
  const settings = resolveSettings({
    inputs: {
      'storage-type': 'sqlite-s3',
      's3-endpoint': env.server.endpoint,
      's3-bucket': BUCKET,
      'database-key': key,
      'database-path': path.join(workspace, 'work', 'metrics.db'),
      's3-access-key-id': S3RVER_ACCESS_KEY_ID,
      's3-secret-access-key': S3RVER_SECRET_ACCESS_KEY,
    },
    config: { metrics: METRICS },
    env: {},
    workspace,
    configFile: 'unentropy.json',
  });
  const report = new BrokenReport();
  const lines: string[] = [];

  const result = await new Workflow({
    settings,
    context: buildContext({ runId: '9001', inActions: false }),
    backend: new S3Backend(settings.s3, { retryAttempts: 0 }),
    log: recordingLogger(lines),
    secrets: new SecretRegistry(false),
    env: { PATH: process.env.PATH },
    cancel: new AbortController().signal,
    reportService: report,
  }).run();

  expect(report.calls).toBe(1);
  expect(result.success).toBe(false);
  expect(result.error?.message).toContain('disk full while writing the report');
  expect(result.upload?.transferred).toBe(true);
  expect(lines.some((l) => l.startsWith('warning: The job summary could not be written'))).toBe(true);
  const stored = readDatabase((await remoteBytes(env, key))!);
  expect(stored.builds).toBe(3);
  expect(stored.coverage).toEqual([80, 81, 87.5]);
  expect(fs.existsSync(settings.databasePath)).toBe(true);
});
