import {
  formatChange,
  formatDuration,
  formatLabelChange,
  formatNumber,
  formatValue,
  NONE,
} from '../../src/report/format';

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [-0, '0'],
    [1204, '1,204'],
    [85.2, '85.2'],
    [85.256, '85.26'],
    [1234567.891, '1,234,567.89'],
    [0.001234, '0.00123'],
    [-0.5, '-0.5'],
    [-1204.5, '-1,204.5'],
    [-0.0000001, '-0.0000001'],
    [-0.001, '-0.001'],
  ])('%p -> %p', (input, expected) => {
    expect(formatNumber(input)).toBe(expected);
  });

  it('never prints -0', () => {
    for (const n of [-0, -0.0, -1e-20 * 0]) expect(formatNumber(n)).not.toMatch(/^-0$/);
    expect(formatNumber(-0.004 + 0.004)).toBe('0');
  });

  it('names non-finite values', () => {
    expect(formatNumber(NaN)).toBe(NONE);
    expect(formatNumber(Infinity)).toBe('∞');
  });
});

describe('formatValue', () => {
  it('puts % right after the number and other units after a space', () => {
    expect(formatValue(85.2, '%')).toBe('85.2%');
    expect(formatValue(1204, 'KB')).toBe('1,204 KB');
    expect(formatValue(7)).toBe('7');
  });

  it('shows labels as they are and missing values as a dash', () => {
    expect(formatValue('healthy')).toBe('healthy');
    expect(formatValue(undefined, '%')).toBe(NONE);
  });
});

describe('formatChange', () => {
  it('shows the difference and the relative change', () => {
    expect(formatChange(85.2, 83.9)).toBe('+1.3 (+1.5%)');
    expect(formatChange(1204, 1210)).toBe('\u22126 (\u22120.5%)');
    expect(formatChange(20, 10)).toBe('+10 (+100%)');
  });

  it('omits the relative change when the previous value is zero', () => {
    expect(formatChange(0.4, 0)).toBe('+0.4');
    expect(formatChange(-0.4, 0)).toBe('\u22120.4');
  });

  it('says "no change" for equal values and float noise', () => {
    expect(formatChange(12, 12)).toBe('no change');
    expect(formatChange(0.3, 0.1 + 0.2)).toBe('no change');
  });

  it('marks tiny relative changes instead of rounding them to zero', () => {
    expect(formatChange(100001, 100000)).toBe('+1 (+<0.1%)');
  });

  it('says "new" without a previous value and "—" without a current one', () => {
    expect(formatChange(5, undefined)).toBe('new');
    expect(formatChange(undefined, 5)).toBe(NONE);
    expect(formatChange(5, 'healthy')).toBe(NONE);
  });
});

describe('formatLabelChange', () => {
  it('describes label changes', () => {
    expect(formatLabelChange('healthy', undefined)).toBe('new');
    expect(formatLabelChange('healthy', 'healthy')).toBe('unchanged');
    expect(formatLabelChange('healthy', 'degraded')).toBe('changed from "degraded"');
    expect(formatLabelChange(undefined, 'degraded')).toBe(NONE);
  });

  it('shortens a long previous label', () => {
    const text = formatLabelChange('x', 'y'.repeat(300), { maxChars: 10 });
    expect(text).toBe(`changed from "${'y'.repeat(9)}…"`);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [850, '850 ms'],
    [1234, '1.2 s'],
    [59_940, '59.9 s'],
    [59_960, '1 m 00 s'],
    [125_000, '2 m 05 s'],
    [-1, NONE],
  ])('%p ms -> %p', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});
