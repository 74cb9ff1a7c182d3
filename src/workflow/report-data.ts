import type { MetricDefinition } from '../config/types';
import type { MetricsStore } from '../db/metrics-store';
import type { CollectedMetric } from '../metrics/types';
import type { MetricRow } from '../report/types';

/** How many recent builds the trend sparkline shows. */
export const TREND_LENGTH = 20;

/** Reads what the summary needs for each metric from the store, after this build is recorded. */
export function buildMetricRows(
  store: MetricsStore,
  definitions: MetricDefinition[],
  collected: CollectedMetric[],
  buildId: number,
): MetricRow[] {
  return definitions.map((def) => {
    const result = collected.find((c) => c.name === def.name);
    const history = store.history(def.name, TREND_LENGTH).map((h) => h.value);
    return {
      name: def.name,
      type: def.type,
      unit: def.unit,
      description: def.description,
      value: result?.ok ? result.value : undefined,
      previous: store.previousValue(def.name, buildId),
      history,
      stats: def.type === 'numeric' ? store.stats(def.name) : undefined,
      ok: Boolean(result?.ok),
      error: result?.ok ? undefined : (result?.error ?? 'not collected'),
    };
  });
}
