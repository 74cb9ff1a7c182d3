import type { MetricType } from '../config/types';

/** The outcome of one metric's command. */
export interface CollectedMetric {
  name: string;
  type: MetricType;
  ok: boolean;
  /** number for numeric, trimmed string for label; undefined when !ok */
  value?: number | string;
  /** why it failed: says what was expected and quotes (a bounded part of) the output */
  error?: string;
  durationMs: number;
}
