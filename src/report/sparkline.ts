/** Tiny text charts for the trend column. */

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;
/** Drawn where a value is missing or not a finite number. */
export const GAP = '·';

/**
 * One bar per value, scaled between the series' min and max. A flat series draws
 * middle bars (nothing moved, so nothing should look high or low); non-finite values
 * draw a gap instead of poisoning the scale.
 */
export function sparkline(values: number[]): string {
  if (values.length === 0) return '';
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!isFiniteNumber(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // Halves keep the range finite even for values near ±Number.MAX_VALUE.
  const halfRange = max / 2 - min / 2;
  return values
    .map((v) => {
      if (!isFiniteNumber(v)) return GAP;
      if (!(halfRange > 0)) return BARS[3];
      const index = Math.round(((v / 2 - min / 2) / halfRange) * (BARS.length - 1));
      return BARS[Math.min(BARS.length - 1, Math.max(0, index))];
    })
    .join('');
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Label history as its last few changes, e.g. `healthy → degraded → healthy`:
 * consecutive repeats collapse, so the line shows when the label moved.
 * Returns plain text; escape it before putting it in markdown.
 */
export function labelTrail(values: Array<string | number>, options: { maxItems?: number } = {}): string[] {
  const maxItems = options.maxItems ?? 3;
  const runs: string[] = [];
  for (const raw of values) {
    if (raw === undefined || raw === null) continue;
    const value = String(raw);
    if (runs[runs.length - 1] !== value) runs.push(value);
  }
  return runs.slice(-maxItems);
}
