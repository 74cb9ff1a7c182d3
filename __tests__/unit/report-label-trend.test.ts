import { ReportService } from '../../src/report/report-service';
import type { MetricRow } from '../../src/report/types';
import { parseTables, sampleReport } from '../helpers/report-fixtures';

function trendOf(history: string[]): string {
  const row: MetricRow = { name: 'status', type: 'label', value: history[history.length - 1], history, ok: true };
  const markdown = new ReportService().render(sampleReport({ metrics: [row] }));
  const table = parseTables(markdown).find((t) => t.headers.includes('Trend'));
  if (!table) throw new Error(`no metrics table in:\n${markdown}`);
  return table.rows[0][table.headers.indexOf('Trend')];
}

describe('label trend column', () => {
  test('a single build shows no trend rather than repeating the value', () => {
    expect(trendOf(['healthy'])).toBe('—');
  });

  test('an unchanged label says for how many builds it has held', () => {
    expect(trendOf(['healthy', 'healthy', 'healthy'])).toBe('same for 3 builds');
  });

  test('changes show as a trail of distinct values', () => {
    expect(trendOf(['healthy', 'healthy', 'degraded', 'healthy'])).toBe('healthy → degraded → healthy');
  });
});
