/**
 * Human-readable numbers, values and changes for the summary. Everything here returns
 * plain text: callers escape it (units and labels come from the user).
 */

import { truncate } from './markdown';

const MINUS = '\u2212';
/** What a cell shows when there is nothing to show. */
export const NONE = '—';

const wholeish = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const small = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 3 });

/**
 * `1,204`, `85.25`, `0.00123`: two decimals at most for |n| >= 1, three significant
 * digits below that, thousands separators, and never `-0`.
 */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return NONE;
  if (n === Infinity) return '∞';
  if (n === -Infinity) return '-∞';
  const text = Math.abs(n) >= 1 || n === 0 ? wholeish.format(n) : small.format(n);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** `85.2%` for percentages, `1,204 KB` for other units, the bare text for labels. */
export function formatValue(value: number | string | undefined, unit?: string): string {
  if (value === undefined) return NONE;
  if (typeof value === 'string') return value;
  const number = formatNumber(value);
  if (!unit || number === NONE) return number;
  return unit === '%' ? `${number}%` : `${number} ${unit}`;
}

/**
 * Change of a numeric metric against the previous build: `+1.3 (+1.5%)`, `−0.4`,
 * `no change`, or `new` when there is no previous value.
 */
export function formatChange(current: number | string | undefined, previous: number | string | undefined): string {
  if (typeof current !== 'number' || !Number.isFinite(current)) return NONE;
  if (previous === undefined) return 'new';
  if (typeof previous !== 'number' || !Number.isFinite(previous)) return NONE;

  const delta = current - previous;
  const shown = formatNumber(Math.abs(delta));
  // Float noise (0.1 + 0.2 - 0.3) is not a change.
  const noise = 1e-9 * Math.max(Math.abs(current), Math.abs(previous));
  if (Math.abs(delta) <= noise || /^0(\.0*)?$/.test(shown)) return 'no change';

  const sign = delta > 0 ? '+' : MINUS;
  if (previous === 0) return `${sign}${shown}`;
  const relative = Math.abs((delta / previous) * 100);
  const relativeText = relative < 0.1 ? '<0.1' : formatPercent(relative);
  return `${sign}${shown} (${sign}${relativeText}%)`;
}

function formatPercent(p: number): string {
  // One decimal is plenty for a relative change; large ones need none.
  const rounded = p >= 100 ? Math.round(p) : Math.round(p * 10) / 10;
  return formatNumber(rounded);
}

/** Change of a label metric: `new`, `unchanged`, or `changed from "x"`. */
export function formatLabelChange(
  current: number | string | undefined,
  previous: number | string | undefined,
  options: { maxChars?: number } = {},
): string {
  if (current === undefined) return NONE;
  if (previous === undefined) return 'new';
  if (String(previous) === String(current)) return 'unchanged';
  return `changed from "${truncate(String(previous), options.maxChars ?? 40)}"`;
}

/** `850 ms`, `1.2 s`, `2 m 05 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return NONE;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100) / 10;
  if (tenths < 60) return `${formatNumber(tenths)} s`;
  const total = Math.round(ms / 1000);
  const minutes = Math.floor(total / 60);
  return `${minutes} m ${String(total % 60).padStart(2, '0')} s`;
}
