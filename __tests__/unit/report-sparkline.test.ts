import { GAP, labelTrail, sparkline } from '../../src/report/sparkline';

const BARS = '▁▂▃▄▅▆▇█';
const heights = (line: string): number[] => Array.from(line).map((c) => BARS.indexOf(c));

describe('sparkline', () => {
  it('draws one bar per value, lowest to highest', () => {
    const line = sparkline([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(line)).toHaveLength(8);
    expect(line).toBe(BARS);
  });

  it('follows the shape of the series', () => {
    const h = heights(sparkline([10, 50, 100, 50, 10]));
    expect(h[0]).toBe(0);
    expect(h[2]).toBe(7);
    expect(h[1]).toBe(h[3]);
    expect(h[1]).toBeGreaterThan(h[0]);
    expect(h[1]).toBeLessThan(h[2]);
  });

  it('scales to the series, not to zero', () => {
    expect(sparkline([1000, 1001])).toBe('▁█');
    expect(sparkline([-5, -10])).toBe('█▁');
  });

  it('draws a flat series as middle bars', () => {
    const line = sparkline([3, 3, 3]);
    expect(line).toBe('▄▄▄');
  });

  it('is empty for no values', () => {
    expect(sparkline([])).toBe('');
  });

  it('shows non-finite values as gaps without breaking the scale', () => {
    const line = sparkline([1, NaN, 8, Infinity, -Infinity]);
    expect(Array.from(line)).toEqual(['▁', GAP, '█', GAP, GAP]);
    expect(sparkline([NaN, NaN])).toBe(GAP + GAP);
  });

  it('copes with extreme magnitudes', () => {
    expect(sparkline([-Number.MAX_VALUE, Number.MAX_VALUE])).toBe('▁█');
    expect(sparkline([1e-300, 2e-300])).toBe('▁█');
  });
});

describe('labelTrail', () => {
  it('collapses repeats and keeps the last few changes', () => {
    expect(labelTrail(['a', 'a', 'b', 'b', 'a', 'c'])).toEqual(['b', 'a', 'c']);
    expect(labelTrail(['a', 'b', 'c', 'd'], { maxItems: 2 })).toEqual(['c', 'd']);
    expect(labelTrail(['same', 'same', 'same'])).toEqual(['same']);
    expect(labelTrail([])).toEqual([]);
  });
});
