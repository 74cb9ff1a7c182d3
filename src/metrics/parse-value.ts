/** Turns a metric command's stdout into its value. */
import type { MetricDefinition } from '../config/types';

export type ParseResult = { ok: true; value: number | string } | { ok: false; error: string };

export const MAX_LABEL_LENGTH = 256;
/** How much of a bad line an error message quotes. */
const QUOTE_LIMIT = 200;

// A plain decimal number: sign, digits with optional fraction, optional exponent.
// No thousands separators, hex, NaN or Infinity.
const NUMBER_PREFIX = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(.*)$/s;

/** The value is the last non-empty line of stdout; see the contract's "Metric commands". */
export function parseMetricOutput(stdout: string, metric: MetricDefinition): ParseResult {
  const line = lastNonEmptyLine(stdout);
  if (line === undefined) return { ok: false, error: 'command printed nothing on stdout' };
  return metric.type === 'numeric' ? parseNumeric(line, metric.unit) : parseLabel(line);
}

export function lastNonEmptyLine(text: string): string | undefined {
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (line !== '') return line;
  }
  return undefined;
}

function parseNumeric(line: string, unit: string | undefined): ParseResult {
  const suffixes = ['%'];
  if (unit && unit.trim() !== '' && unit.trim() !== '%') suffixes.push(unit.trim());
  const expected = `expected a number (optionally followed by ${suffixes.map((s) => `"${s}"`).join(' or ')})`;

  const match = NUMBER_PREFIX.exec(line);
  const suffix = match ? match[2].trim() : undefined;
  if (!match || (suffix !== '' && !suffixes.includes(suffix!))) {
    return { ok: false, error: `${expected}, got ${quoteOutput(line)}` };
  }
  const value = Number(match[1]);
  if (!Number.isFinite(value)) {
    return { ok: false, error: `${expected}, got ${quoteOutput(line)}, which is too large to store` };
  }
  return { ok: true, value };
}

function parseLabel(line: string): ParseResult {
  if (line.length > MAX_LABEL_LENGTH) {
    return {
      ok: false,
      error:
        `labels are at most ${MAX_LABEL_LENGTH} characters, got a longer line: ` +
        `${quoteOutput(line)}; print a shorter last line`,
    };
  }
  return { ok: true, value: line };
}

/**
 * Quotes command output for an error message: JSON-escaped (control characters visible),
 * at most `limit` characters, with the cut marked. `keep: 'end'` keeps the last characters,
 * which is what matters for stderr.
 */
export function quoteOutput(text: string, limit = QUOTE_LIMIT, keep: 'start' | 'end' = 'start'): string {
  const chars = Array.from(text);
  if (chars.length <= limit) return JSON.stringify(text);
  if (keep === 'end') {
    // No total: the text may itself be the kept tail of a much longer output.
    return `${JSON.stringify('…' + chars.slice(-limit).join(''))} (last ${limit} characters shown)`;
  }
  return `${JSON.stringify(chars.slice(0, limit).join('') + '…')} (first ${limit} characters shown)`;
}
