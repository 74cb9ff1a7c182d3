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

describe('write() redaction', () => {
  test('the finished markdown goes through redact before it is written', async () => {
    const chunks: string[] = [];
    const stdout = { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream;
    const secret = 'tm-secret-9f8e7d';
    const data = sampleReport({ failure: { code: 'S3_AUTH_FAILED', message: `denied for key ${secret}` } });
    const markdown = await new ReportService().write(data, { inActions: false, stdout, redact: (m) => m.split(secret).join('***') });
    expect(chunks.join('')).toContain('denied for key ***');
    expect(chunks.join('')).not.toContain(secret);
    expect(markdown).not.toContain(secret);
  });
});
