import * as os from 'os';
import type { MetricDefinition } from '../../src/config/types';
import type { BuildContext } from '../../src/context';
import { buildCommandEnv } from '../../src/metrics/command-env';
import { runCommand } from '../../src/metrics/run-command';

const context: BuildContext = {
  commitSha: '0123456789abcdef0123456789abcdef01234567',
  branch: 'feature/x',
  runId: '987654',
  runNumber: 42,
  runAttempt: 2,
  actor: 'octocat',
  eventName: 'pull_request',
  repository: 'o/r',
  timestamp: '2024-01-01T00:00:00.000Z',
  inActions: true,
};
const metric: MetricDefinition = { name: 'coverage', type: 'numeric', command: 'env' };

function parseEnv(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

describe('buildCommandEnv', () => {
  const secret = 'wJalrXUtnFEMI-not-a-real-secret-' + Math.random().toString(36).slice(2);
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    'INPUT_S3-SECRET-ACCESS-KEY': secret,
    'INPUT_S3-ACCESS-KEY-ID': 'AKIAEXAMPLE',
    input_lowercase: 'x',
    Input_Mixed: 'y',
    MY_INPUT_VAR: 'kept',
    UNENTROPY_BRANCH: 'stale',
  };

  it('drops every INPUT_* variable, case-insensitively, and keeps the rest', () => {
    const env = buildCommandEnv(base, context, metric);
    for (const key of Object.keys(env)) expect(key).not.toMatch(/^input_/i);
    expect(env.MY_INPUT_VAR).toBe('kept');
    expect(env.PATH).toBe(process.env.PATH);
    // The base is not modified.
    expect(base['INPUT_S3-SECRET-ACCESS-KEY']).toBe(secret);
  });

  it('gives a real command the UNENTROPY_* variables and no inputs', async () => {
    const env = buildCommandEnv(base, context, metric);
    const run = await runCommand('env', { cwd: os.tmpdir(), env, timeoutMs: 10_000 });
    expect(run.exitCode).toBe(0);
    expect(run.stdoutTail).not.toContain(secret);
    const seen = parseEnv(run.stdoutTail);
    expect(seen.has('INPUT_S3-SECRET-ACCESS-KEY')).toBe(false);
    expect(seen.has('INPUT_S3-ACCESS-KEY-ID')).toBe(false);
    expect(seen.get('MY_INPUT_VAR')).toBe('kept');
    expect(seen.get('UNENTROPY_COMMIT_SHA')).toBe(context.commitSha);
    expect(seen.get('UNENTROPY_BRANCH')).toBe('feature/x');
    expect(seen.get('UNENTROPY_RUN_ID')).toBe('987654');
    expect(seen.get('UNENTROPY_RUN_NUMBER')).toBe('42');
    expect(seen.get('UNENTROPY_ACTOR')).toBe('octocat');
    expect(seen.get('UNENTROPY_EVENT_NAME')).toBe('pull_request');
    expect(seen.get('UNENTROPY_METRIC_NAME')).toBe('coverage');
    expect(seen.get('UNENTROPY_METRIC_TYPE')).toBe('numeric');
  });

  it('names the metric being run', () => {
    const env = buildCommandEnv(base, context, { name: 'status', type: 'label', command: 'x' });
    expect(env.UNENTROPY_METRIC_NAME).toBe('status');
    expect(env.UNENTROPY_METRIC_TYPE).toBe('label');
  });
});
