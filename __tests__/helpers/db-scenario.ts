import * as fs from 'fs';
import * as path from 'path';
import type { MetricDefinition } from '../../src/config/types';
import type { BuildContext } from '../../src/context';
import { MetricsStore } from '../../src/db/metrics-store';
import type { CollectedMetric } from '../../src/metrics/types';

/** Test data shared by the store tests and the bundled cross-driver run. */
export function buildContext(overrides: Partial<BuildContext> = {}): BuildContext {
  return {
    commitSha: 'a'.repeat(40),
    branch: 'main',
    runId: '1000',
    runNumber: 1,
    runAttempt: 1,
    actor: 'octocat',
    eventName: 'push',
    repository: 'acme/app',
    timestamp: '2024-01-01T00:00:00.000Z',
    inActions: true,
    ...overrides,
  };
}

export const DEFINITIONS: MetricDefinition[] = [
  { name: 'coverage', type: 'numeric', unit: '%', description: 'Line coverage', command: 'echo 1' },
  { name: 'status', type: 'label', command: 'echo ok' },
  { name: 'loc', type: 'numeric', command: 'echo 1' },
];

export function numeric(name: string, value: number): CollectedMetric {
  return { name, type: 'numeric', ok: true, value, durationMs: 1 };
}
export function label(name: string, value: string): CollectedMetric {
  return { name, type: 'label', ok: true, value, durationMs: 1 };
}
export function failed(name: string, type: 'numeric' | 'label' = 'numeric'): CollectedMetric {
  return { name, type, ok: false, error: 'command exited with code 1', durationMs: 1 };
}

/**
 * A fixed sequence of runs through the public MetricsStore API. Its result is compared across
 * drivers (better-sqlite3 in jest, node:sqlite in the bundle under Node 24).
 */
export function runScenario(dir: string): Record<string, unknown> {
  const file = path.join(dir, 'scenario.db');
  const driverLog: string[] = [];
  const store = MetricsStore.open(file, { log: (line) => driverLog.push(line) });
  const driver = store.driverName;
  const recorded: Array<{ buildId: number; replaced: boolean }> = [];
  const coverage = [50.5, 61, 72.25, 80, 99.125];
  coverage.forEach((c, i) => {
    recorded.push(
      store.recordBuild(
        buildContext({ commitSha: `${i}`.repeat(40), runId: `${100 + i}`, runNumber: i + 1, timestamp: `2024-01-0${i + 1}T00:00:00.000Z` }),
        DEFINITIONS,
        [numeric('coverage', c), label('status', `s${i}`), i === 2 ? failed('loc') : numeric('loc', 1000 + i * 2 ** 40)],
      ),
    );
  });
  // re-run attempt of run 104
  recorded.push(
    store.recordBuild(
      buildContext({ commitSha: '4'.repeat(40), runId: '104', runNumber: 5, runAttempt: 2, timestamp: '2024-01-09T00:00:00.000Z' }),
      DEFINITIONS,
      [numeric('coverage', 98), failed('status', 'label')],
    ),
  );
  const result = {
    recorded,
    builds: store.countBuilds(),
    coverageHistory: store.history('coverage', 3),
    statusHistory: store.history('status', 100),
    locHistory: store.history('loc', 100),
    coverageStats: store.stats('coverage'),
    statusStats: store.stats('status') ?? null,
    previousCoverage: store.previousValue('coverage', recorded[5].buildId),
    previousStatus: store.previousValue('status', recorded[5].buildId),
    previousLocBeforeFirst: store.previousValue('loc', recorded[0].buildId) ?? null,
  };
  store.close();
  return {
    driver,
    driverLog,
    ...result,
    filesAfterClose: fs.readdirSync(dir).sort(),
    validate: MetricsStore.validateFile(file),
  };
}
