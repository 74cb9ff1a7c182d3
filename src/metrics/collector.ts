/** Runs every metric command in order and gathers values; one failure never stops the rest. */
import type { MetricDefinition } from '../config/types';
import type { BuildContext } from '../context';
import { buildCommandEnv } from './command-env';
import { parseMetricOutput, quoteOutput } from './parse-value';
import { runCommand, type RunCommandResult } from './run-command';
import type { CollectedMetric } from './types';

export const DEFAULT_METRIC_TIMEOUT_SECONDS = 60;
/** Lines of stderr quoted when a command fails. */
const STDERR_LINES = 3;
const STDERR_QUOTE_LIMIT = 500;

export interface CollectOptions {
  /** the workspace */
  cwd: string;
  /** the runner's environment; INPUT_* is removed per command */
  env: NodeJS.ProcessEnv;
  context: BuildContext;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export async function collectMetrics(
  metrics: MetricDefinition[],
  options: CollectOptions,
): Promise<CollectedMetric[]> {
  const collected: CollectedMetric[] = [];
  for (const metric of metrics) {
    const outcome = options.signal?.aborted
      ? failed(metric, 'cancelled', 0)
      : await collectOne(metric, options);
    collected.push(outcome);
    options.log?.(describe(metric, outcome));
  }
  return collected;
}

async function collectOne(metric: MetricDefinition, options: CollectOptions): Promise<CollectedMetric> {
  const timeoutSeconds =
    metric.timeout !== undefined && Number.isFinite(metric.timeout) && metric.timeout > 0
      ? metric.timeout
      : DEFAULT_METRIC_TIMEOUT_SECONDS;
  const started = Date.now();

  let run: RunCommandResult;
  try {
    run = await runCommand(metric.command, {
      cwd: options.cwd,
      env: buildCommandEnv(options.env, options.context, metric),
      timeoutMs: timeoutSeconds * 1000,
      signal: options.signal,
    });
  } catch (e) {
    return failed(metric, `could not run the command: ${(e as Error).message}`, Date.now() - started);
  }

  if (options.signal?.aborted && !run.timedOut) {
    return failed(metric, 'cancelled while running; the command was stopped', run.durationMs);
  }
  if (run.timedOut) {
    return failed(
      metric,
      `timed out after ${timeoutSeconds} s and was stopped; make the command faster or raise ` +
        `"timeout" for this metric in the config file`,
      run.durationMs,
    );
  }
  if (run.exitCode !== 0) {
    const how = run.exitCode === null ? `was killed by ${run.signal ?? 'a signal'}` : `exited with code ${run.exitCode}`;
    return failed(metric, `command ${how}${outputSuffix(run.stderrTail, run.stdoutTail)}`, run.durationMs);
  }

  const parsed = parseMetricOutput(run.stdoutTail, metric);
  if (!parsed.ok) return failed(metric, parsed.error, run.durationMs);
  return { name: metric.name, type: metric.type, ok: true, value: parsed.value, durationMs: run.durationMs };
}

/** The last few non-empty lines of stderr (or of stdout when stderr was empty), bounded. */
function outputSuffix(stderrTail: string, stdoutTail: string): string {
  const lastLines = (text: string) =>
    text
      .split(/\r\n|\r|\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .slice(-STDERR_LINES)
      .join('\n');
  const stderr = lastLines(stderrTail);
  if (stderr) return `; stderr: ${quoteOutput(stderr, STDERR_QUOTE_LIMIT, 'end')}`;
  const stdout = lastLines(stdoutTail);
  if (stdout) return `; no output on stderr; stdout ended with: ${quoteOutput(stdout, STDERR_QUOTE_LIMIT, 'end')}`;
  return ' (no output on stdout or stderr)';
}

function failed(metric: MetricDefinition, error: string, durationMs: number): CollectedMetric {
  return { name: metric.name, type: metric.type, ok: false, error, durationMs };
}

function describe(metric: MetricDefinition, outcome: CollectedMetric): string {
  const seconds = `${(outcome.durationMs / 1000).toFixed(1)} s`;
  if (!outcome.ok) return `${metric.name}: failed: ${outcome.error} (${seconds})`;
  const unit = metric.type === 'numeric' && metric.unit ? ` ${metric.unit}` : '';
  return `${metric.name}: ${outcome.value}${unit} (${seconds})`;
}
