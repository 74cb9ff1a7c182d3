import type { MetricDefinition } from '../../src/config/types';
import { parseMetricOutput, quoteOutput } from '../../src/metrics/parse-value';

const numeric = (unit?: string): MetricDefinition => ({ name: 'm', type: 'numeric', command: 'x', unit });
const label: MetricDefinition = { name: 'l', type: 'label', command: 'x' };

describe('parseMetricOutput: numeric', () => {
  it.each<[string, string | undefined, number]>([
    ['42\n', undefined, 42],
    ['42', undefined, 42],
    ['0', undefined, 0],
    ['-3.5\n', undefined, -3.5],
    ['+7\n', undefined, 7],
    ['.5\n', undefined, 0.5],
    ['5.\n', undefined, 5],
    ['1e3\n', undefined, 1000],
    ['-2.5E-2\n', undefined, -0.025],
    ['85.2%\n', undefined, 85.2],
    ['85.2 %\n', undefined, 85.2],
    ['85.2%\n', '%', 85.2],
    ['120 KB\n', 'KB', 120],
    ['120KB\n', 'KB', 120],
    ['120\tKB\n', 'KB', 120],
    ['  12.25  \n', 'ms', 12.25],
    ['building...\ndone\n\n99.9\n\n  \n', undefined, 99.9],
    ['first\r\n17\r\n\r\n', undefined, 17],
    ['old\r33\r', undefined, 33],
  ])('%j (unit %j) -> %d', (stdout, unit, expected) => {
    expect(parseMetricOutput(stdout, numeric(unit))).toEqual({ ok: true, value: expected });
  });

  it.each<[string, string | undefined]>([
    ['abc\n', undefined],
    ['12 apples\n', undefined],
    ['120 MB\n', 'KB'],
    ['120 kb\n', 'KB'],
    ['1,234\n', undefined],
    ['0x10\n', undefined],
    ['NaN\n', undefined],
    ['Infinity\n', undefined],
    ['-\n', undefined],
    ['1e\n', undefined],
    ['42\nnot a number\n', undefined],
    ['85.2%%\n', undefined],
  ])('rejects %j (unit %j) and quotes the line', (stdout, unit) => {
    const result = parseMetricOutput(stdout, numeric(unit));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const line = stdout.trim().split('\n').pop()!;
    expect(result.error).toContain(`got ${JSON.stringify(line)}`);
    expect(result.error).toContain('expected a number (optionally followed by "%"');
    if (unit) expect(result.error).toContain(`"${unit}"`);
  });

  it('rejects numbers too large to be finite', () => {
    const result = parseMetricOutput('1e999\n', numeric());
    expect(result).toEqual({ ok: false, error: expect.stringContaining('too large') });
  });

  it('reports empty and whitespace-only output', () => {
    for (const stdout of ['', '\n', '  \r\n\t\n']) {
      expect(parseMetricOutput(stdout, numeric())).toEqual({ ok: false, error: 'command printed nothing on stdout' });
      expect(parseMetricOutput(stdout, label)).toEqual({ ok: false, error: 'command printed nothing on stdout' });
    }
  });

  it('quotes at most about 200 characters of a long bad line and marks the cut', () => {
    const line = 'x'.repeat(5000);
    const result = parseMetricOutput(line, numeric());
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.length).toBeLessThan(400);
    expect(result.error).toContain('…');
    expect(result.error).toContain('first 200 characters shown');
  });
});

describe('parseMetricOutput: label', () => {
  it('keeps the trimmed last non-empty line', () => {
    expect(parseMetricOutput('noise\n   healthy  \r\n\n', label)).toEqual({ ok: true, value: 'healthy' });
    expect(parseMetricOutput('v1.2.3 (abc)', label)).toEqual({ ok: true, value: 'v1.2.3 (abc)' });
  });

  it('accepts exactly 256 characters and rejects 257', () => {
    const ok = 'a'.repeat(256);
    expect(parseMetricOutput(`${ok}\n`, label)).toEqual({ ok: true, value: ok });
    const result = parseMetricOutput(`${'b'.repeat(257)}\n`, label);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain('at most 256 characters');
    expect(result.error).toContain('got a longer line');
  });
});

describe('quoteOutput', () => {
  it('escapes control characters', () => {
    expect(quoteOutput('a\tb"c')).toBe('"a\\tb\\"c"');
  });
  it('keeps the end when asked', () => {
    const quoted = quoteOutput('start' + 'x'.repeat(100) + 'END', 10, 'end');
    expect(quoted).toContain('xxxxxxxEND');
    expect(quoted).not.toContain('start');
    expect(quoted).toContain('last 10 characters shown');
  });
});
