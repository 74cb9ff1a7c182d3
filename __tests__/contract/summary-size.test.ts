import { DEFAULT_MAX_BYTES, ReportService } from '../../src/report/report-service';
import type { MetricRow, ReportData } from '../../src/report/types';
import { parseTables, sampleReport, unescapeCell } from '../helpers/report-fixtures';

// Contract: "The summary never exceeds GitHub's 1 MiB limit."
const MIB = 1024 * 1024;
const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
const NOT_SHOWN = /^… (\d+) more metrics? not shown \(summary size limit\)$/m;

/** `length` characters that expand the most when escaped (& -> &amp;) plus multi-byte ones. */
function heavyText(length: number, seed: number): string {
  const alphabet = ['&', '<', '>', '|', '`', '\\', '*', '_', 'é', '📊', 'x', String(seed % 10)];
  let out = '';
  for (let i = 0; out.length < length; i++) out += alphabet[(i + seed) % alphabet.length];
  return Array.from(out).slice(0, length).join('');
}

function contractSizedMetrics(count: number, text: (i: number) => string): MetricRow[] {
  const history = Array.from({ length: 1000 }, (_, j) => Math.sin(j / 7) * 1000);
  const longError = 'E'.repeat(100_000);
  return Array.from({ length: count }, (_, i): MetricRow => {
    const name = `metric-${String(i).padStart(3, '0')}-${'n'.repeat(53)}`; // 64 chars, the maximum
    const description = text(i + 1000).slice(0, 256);
    if (i % 2 === 0) {
      const label = text(i);
      return {
        name,
        type: 'label',
        description,
        value: label,
        previous: text(i + 1),
        history: Array.from({ length: 500 }, (_, j) => text(i + j)),
        ok: i % 4 !== 0,
        error: i % 4 === 0 ? text(i).repeat(400) : undefined,
      };
    }
    return {
      name,
      type: 'numeric',
      unit: 'ms/op|<b>',
      description,
      value: i * 1.5,
      previous: i,
      history,
      stats: { min: -1000, max: 1000, avg: 0.5, count: 1000 },
      ok: i % 3 !== 0,
      error: i % 3 === 0 ? longError : undefined,
    };
  });
}

function expectWellFormed(markdown: string): ReturnType<typeof parseTables>[number] {
  const tables = parseTables(markdown);
  const metrics = tables.find((t) => t.headers[0] === 'Metric');
  expect(metrics).toBeDefined();
  for (const t of tables) for (const row of t.rows) expect(row).toHaveLength(t.headers.length);
  return metrics!;
}

describe('job summary size', () => {
  it('fits 200 contract-maximum metrics with full 256-character labels, trends included', () => {
    const plain = (i: number): string => `label ${i} `.padEnd(256, 'abcdefghij');
    const data = sampleReport({ metrics: contractSizedMetrics(200, plain) });
    const markdown = new ReportService().render(data);

    expect(bytes(markdown)).toBeLessThanOrEqual(DEFAULT_MAX_BYTES);
    const table = expectWellFormed(markdown);
    expect(table.headers).toContain('Trend');
    expect(table.rows).toHaveLength(200);
    // Nothing needed cutting: the first label is shown whole.
    expect(unescapeCell(table.rows[2][1])).toBe(plain(2));
    expect(markdown).not.toMatch(NOT_SHOWN);
  });

  it('fits 200 metrics whose every text expands when escaped, still as a full table', () => {
    const data = sampleReport({ metrics: contractSizedMetrics(200, (i) => heavyText(256, i)) });
    const markdown = new ReportService().render(data);

    expect(bytes(markdown)).toBeLessThan(MIB);
    expect(bytes(markdown)).toBeLessThanOrEqual(DEFAULT_MAX_BYTES);
    const table = expectWellFormed(markdown);
    expect(table.rows).toHaveLength(200);
    expect(markdown).toContain('### Failed metrics (');
    expect(markdown).toContain('### Phases');
    expect(markdown).toContain('### Storage');
  });

  it('cuts a pathological table and says how many metrics are not shown', () => {
    const huge = heavyText(256, 3);
    const hugeError = huge.repeat(4000); // one 1-million-character string, shared
    const metrics = Array.from({ length: 20_000 }, (_, i): MetricRow => ({
      name: `m-${i}`,
      type: i % 2 ? 'label' : 'numeric',
      description: huge,
      value: i % 2 ? huge : i,
      previous: i % 2 ? `${huge}!` : i - 1,
      history: i % 2 ? [huge, `${huge}!`, huge] : [1, 2, 3, i],
      stats: i % 2 ? undefined : { min: 0, max: i, avg: i / 2, count: 4 },
      ok: i % 5 !== 0,
      error: i % 5 === 0 ? hugeError : undefined,
    }));
    const started = Date.now();
    const markdown = new ReportService().render(sampleReport({ metrics }));
    expect(Date.now() - started).toBeLessThan(20_000);

    expect(bytes(markdown)).toBeLessThanOrEqual(DEFAULT_MAX_BYTES);
    const table = expectWellFormed(markdown);
    expect(table.headers).not.toContain('Trend');
    const hidden = Number(markdown.match(NOT_SHOWN)?.[1]);
    expect(hidden).toBeGreaterThan(0);
    expect(table.rows.length).toBeGreaterThan(100);
    expect(table.rows.length + hidden).toBe(20_000);
    // The sections after the table survive the cut.
    expect(markdown).toContain('### Phases');
    expect(markdown).toContain('### Storage');
  });

  describe('degrades step by step', () => {
    const labels = (n: number): MetricRow[] =>
      Array.from({ length: n }, (_, i) => ({
        name: `label-${i}`,
        type: 'label' as const,
        value: `${i}:`.padEnd(256, 'v'),
        previous: 'old',
        history: ['a', 'b', 'c', `${i}`],
        ok: true,
      }));
    const data: ReportData = sampleReport({ metrics: labels(40) });
    const full = new ReportService().render(data);
    const fullBytes = bytes(full);

    it('first shortens long cells', () => {
      const markdown = new ReportService({ maxBytes: fullBytes - 1 }).render(data);
      expect(bytes(markdown)).toBeLessThan(fullBytes);
      const table = expectWellFormed(markdown);
      expect(table.headers).toContain('Trend');
      expect(table.rows).toHaveLength(40);
      const value = unescapeCell(table.rows[0][1]);
      expect(value.endsWith('…')).toBe(true);
      expect(Array.from(value).length).toBeLessThan(256);
    });

    it('then drops the trend column', () => {
      const compact = new ReportService({ maxBytes: fullBytes - 1 }).render(data);
      const markdown = new ReportService({ maxBytes: bytes(compact) - 1 }).render(data);
      const table = expectWellFormed(markdown);
      expect(table.headers).toEqual(['Metric', 'Value', 'Change', 'Min', 'Max', 'Avg']);
      expect(table.rows).toHaveLength(40);
      expect(markdown).not.toMatch(NOT_SHOWN);
    });

    it('then cuts rows', () => {
      const compact = new ReportService({ maxBytes: fullBytes - 1 }).render(data);
      const budget = Math.floor(bytes(compact) / 2);
      const markdown = new ReportService({ maxBytes: budget }).render(data);
      expect(bytes(markdown)).toBeLessThanOrEqual(budget);
      const table = expectWellFormed(markdown);
      const hidden = Number(markdown.match(NOT_SHOWN)?.[1]);
      expect(table.rows.length).toBeGreaterThan(0);
      expect(table.rows.length + hidden).toBe(40);
    });
  });

  it('cuts the failure list too when failed metrics alone are too many', () => {
    const failed = Array.from({ length: 500 }, (_, i): MetricRow => ({
      name: `f-${i}`,
      type: 'numeric',
      description: 'd'.repeat(256), // rows big enough to fill the budget on their own
      history: [],
      ok: false,
      error: 'x'.repeat(5000),
    }));
    const budget = 40 * 1024;
    const markdown = new ReportService({ maxBytes: budget }).render(sampleReport({ metrics: failed }));
    expect(bytes(markdown)).toBeLessThanOrEqual(budget);
    const listed = markdown.split('\n').filter((l) => l.startsWith('- **f-')).length;
    const shownRows = expectWellFormed(markdown).rows.length;
    const hiddenRows = Number(markdown.match(NOT_SHOWN)?.[1] ?? 0);
    expect(shownRows + hiddenRows).toBe(500);
    const hiddenFailed = Number(markdown.match(/^… (\d+) more failed metrics? not shown/m)?.[1] ?? 0);
    expect(listed + hiddenFailed).toBe(500);
    expect(hiddenFailed).toBeGreaterThan(0);
    // Failure reasons keep a share of the room even though the table alone could fill it.
    expect(listed).toBeGreaterThan(10);
  });

  it('stays under the limit even when our own sections are huge', () => {
    const warnings = Array.from({ length: 2000 }, (_, i) => `warning ${i} `.padEnd(2000, '<'));
    const markdown = new ReportService().render(sampleReport({ warnings }));
    expect(bytes(markdown)).toBeLessThanOrEqual(DEFAULT_MAX_BYTES);
    expect(markdown.trimEnd().endsWith('… summary truncated (summary size limit)')).toBe(true);
    expect(markdown.startsWith('## 📊 track-metrics')).toBe(true);
    // Cut on a line boundary and a whole character.
    expect(markdown).not.toContain('\uFFFD');
  });
});
