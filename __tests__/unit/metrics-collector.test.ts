import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { MetricDefinition } from '../../src/config/types';
import type { BuildContext } from '../../src/context';
import { collectMetrics } from '../../src/metrics/collector';

const context: BuildContext = {
  commitSha: 'abc1230000000000000000000000000000000000',
  branch: 'main',
  runId: '555',
  runNumber: 9,
  runAttempt: 1,
  actor: 'octocat',
  eventName: 'push',
  repository: 'o/r',
  timestamp: '2024-01-01T00:00:00.000Z',
  inActions: true,
};

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-collect-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const numeric = (name: string, command: string, extra: Partial<MetricDefinition> = {}): MetricDefinition => ({
  name,
  type: 'numeric',
  command,
  ...extra,
});

describe('collectMetrics', () => {
  it('collects numeric and label values in order, in the workspace, and logs one line each', async () => {
    fs.writeFileSync(path.join(dir, 'coverage.txt'), 'Lines: 85.2%\n');
    const lines: string[] = [];
    const results = await collectMetrics(
      [
        numeric('coverage', 'tail -n 1 coverage.txt | cut -d" " -f2', { unit: '%' }),
        { name: 'status', type: 'label', command: 'echo "  healthy  "' },
        numeric('size', 'echo building >&2; echo 120 KB', { unit: 'KB' }),
        { name: 'who', type: 'label', command: 'echo "$UNENTROPY_METRIC_NAME@$UNENTROPY_COMMIT_SHA"' },
      ],
      { cwd: dir, env: process.env, context, log: (l) => lines.push(l) },
    );
    expect(results.map((r) => [r.name, r.type, r.ok, r.value])).toEqual([
      ['coverage', 'numeric', true, 85.2],
      ['status', 'label', true, 'healthy'],
      ['size', 'numeric', true, 120],
      ['who', 'label', true, `who@${context.commitSha}`],
    ]);
    for (const r of results) {
      expect(r.error).toBeUndefined();
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^coverage: 85\.2 % \(\d+\.\d s\)$/);
    expect(lines[1]).toMatch(/^status: healthy \(\d+\.\d s\)$/);
  });

  it('reports a non-zero exit with its code and the last stderr lines, and goes on', async () => {
    const lines: string[] = [];
    const results = await collectMetrics(
      [
        numeric('broken', 'echo 5; echo "step 1" >&2; echo "Error: no coverage file" >&2; exit 7'),
        numeric('silent', 'exit 1'),
        numeric('after', 'echo 3'),
        numeric('stdout-only', 'echo "coverage file missing"; exit 2'),
      ],
      { cwd: dir, env: process.env, context, log: (l) => lines.push(l) },
    );
    expect(results[0].ok).toBe(false);
    expect(results[0].value).toBeUndefined();
    expect(results[0].error).toContain('exited with code 7');
    expect(results[0].error).toContain('Error: no coverage file');
    expect(results[1].error).toBe('command exited with code 1 (no output on stdout or stderr)');
    // With nothing on stderr, the end of stdout is what explains the failure.
    expect(results[3].error).toBe('command exited with code 2; no output on stderr; stdout ended with: "coverage file missing"');
    expect(results[2]).toMatchObject({ ok: true, value: 3 });
    expect(lines[0]).toMatch(/^broken: failed: command exited with code 7/);
  });

  it('bounds the quoted stderr of a failing command', async () => {
    const [result] = await collectMetrics(
      [numeric('noisy', "head -c 20000 /dev/zero | tr '\\0' 'x' >&2; echo >&2; echo the end >&2; exit 2")],
      { cwd: dir, env: process.env, context },
    );
    expect(result.error).toContain('exited with code 2');
    expect(result.error).toContain('the end');
    expect(result.error!.length).toBeLessThan(700);
  });

  it('reports parse failures with the expected form and the output', async () => {
    const [bad, empty, longLabel] = await collectMetrics(
      [
        numeric('coverage', 'echo "Coverage: unknown"', { unit: '%' }),
        numeric('nothing', 'true'),
        { name: 'label', type: 'label', command: `printf '%0257d\\n' 0` },
      ],
      { cwd: dir, env: process.env, context },
    );
    expect(bad.error).toBe('expected a number (optionally followed by "%"), got "Coverage: unknown"');
    expect(empty.error).toBe('command printed nothing on stdout');
    expect(longLabel.ok).toBe(false);
    expect(longLabel.error).toContain('at most 256 characters');
  });

  it('stops a hanging command at its timeout and still collects the next metric', async () => {
    const started = Date.now();
    const results = await collectMetrics(
      [numeric('slow', 'sleep 30', { timeout: 1 }), numeric('next', 'echo 8')],
      { cwd: dir, env: process.env, context },
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(results[0].ok).toBe(false);
    expect(results[0].error).toMatch(/^timed out after 1 s and was stopped/);
    expect(results[1]).toMatchObject({ ok: true, value: 8 });
  });

  it('does not pass INPUT_* variables to the command', async () => {
    const [result] = await collectMetrics(
      [{ name: 'leak', type: 'label', command: 'env | grep -ci "^input_" || true' }],
      { cwd: dir, env: { ...process.env, 'INPUT_S3-SECRET-ACCESS-KEY': 'shh', INPUT_VERBOSE: 'true' }, context },
    );
    expect(result).toMatchObject({ ok: true, value: '0' });
  });

  it('reports a missing workspace as a failure of that metric only', async () => {
    const results = await collectMetrics([numeric('a', 'echo 1'), numeric('b', 'echo 2')], {
      cwd: path.join(dir, 'nope'),
      env: process.env,
      context,
    });
    for (const r of results) {
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/could not run the command: the working directory .*nope does not exist/);
    }
  });

  it('on abort stops the running command and marks the rest cancelled without starting them', async () => {
    const marker = path.join(dir, 'started');
    const controller = new AbortController();
    const lines: string[] = [];
    const pending = collectMetrics(
      [numeric('first', 'echo 1'), numeric('hang', 'sleep 30'), numeric('third', `touch ${marker}; echo 3`)],
      {
        cwd: dir,
        env: process.env,
        context,
        signal: controller.signal,
        log: (l) => {
          lines.push(l);
          // Abort once the first metric is done, while the second runs.
          if (lines.length === 1) setTimeout(() => controller.abort(), 200);
        },
      },
    );
    const started = Date.now();
    const results = await pending;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(results[0]).toMatchObject({ ok: true, value: 1 });
    expect(results[1].ok).toBe(false);
    expect(results[1].error).toMatch(/^cancelled/);
    expect(results[2]).toMatchObject({ ok: false, error: 'cancelled' });
    expect(fs.existsSync(marker)).toBe(false);
    expect(lines).toHaveLength(3);
  });
});
