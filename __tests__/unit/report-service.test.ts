import { ReportService } from '../../src/report/report-service';
import type { ReportData } from '../../src/report/types';
import { numericMetric, parseTables, sampleReport, unescapeCell } from '../helpers/report-fixtures';

const render = (data: ReportData): string => new ReportService().render(data);

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`### ${heading}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = markdown.indexOf('\n### ', start + 1);
  return markdown.slice(start, next === -1 ? undefined : next);
}

describe('ReportService.render', () => {
  it('prints a realistic summary that reads well', () => {
    const markdown = render(
      sampleReport({
        warnings: ['Storage type sqlite-local inside GitHub Actions: the database is lost when the job ends.'],
        nextStep: '### Next step\n\nUpload `unentropy-metrics.db` with `actions/upload-artifact`.',
      }),
    );
    // Looked at by eye: keep this one print.
    console.log(markdown);
    expect(markdown.startsWith('## 📊 track-metrics\n')).toBe(true);
  });

  it('starts with the title and the build line', () => {
    const lines = render(sampleReport()).split('\n');
    expect(lines[0]).toBe('## 📊 track-metrics');
    expect(lines[2]).toBe('**Build** `3f5c2a9` on `main` · run #42 · 6 builds recorded');
  });

  it('shows one metrics row per metric with value, change, trend and stats', () => {
    const data = sampleReport();
    const [metrics] = parseTables(render(data));
    expect(metrics.headers).toEqual(['Metric', 'Value', 'Change', 'Trend', 'Min', 'Max', 'Avg']);
    expect(metrics.rows).toHaveLength(data.metrics.length);
    const byName = new Map(metrics.rows.map((row) => [row[0].match(/^\*\*(.*?)\*\*/)![1], row]));

    expect(byName.get('coverage')).toEqual([
      '**coverage**<br><sub>Line coverage</sub>',
      '85.2%',
      '+1.3 (+1.5%)',
      '▁▃▃▅▆█',
      '80.1%',
      '85.2%',
      '82.48%',
    ]);
    expect(byName.get('bundle-size')!.slice(1, 3)).toEqual(['1,204 KB', '\u22126 (\u22120.5%)']);
    expect(byName.get('todo-count')![2]).toBe('no change');
    // Labels: the label, its change, its recent changes; no stats.
    expect(byName.get('build-status')!.slice(1)).toEqual([
      'healthy',
      'changed from "degraded"',
      'healthy → degraded → healthy',
      '—',
      '—',
      '—',
    ]);
    expect(byName.get('lint-errors')!.slice(1, 3)).toEqual(['❌ failed', '—']);
  });

  it('says "new" for a first value and draws no trend from a single point', () => {
    const data = sampleReport({ metrics: [numericMetric('fresh', { value: 3, previous: undefined, history: [3] })] });
    const [metrics] = parseTables(render(data));
    expect(metrics.rows[0].slice(2, 4)).toEqual(['new', '—']);
  });

  it('lists failed metrics with their escaped, bounded reasons', () => {
    const long = `boom <b>|</b> ${'x'.repeat(1000)}`;
    const data = sampleReport({
      metrics: [
        numericMetric('ok-one'),
        numericMetric('bad-one', { ok: false, value: undefined, error: 'Expected a number, found "NaN\nfoo"' }),
        numericMetric('bad-two', { ok: false, value: undefined, error: long }),
        numericMetric('bad-three', { ok: false, value: undefined }),
      ],
    });
    const failed = section(render(data), 'Failed metrics');
    expect(failed).toContain('### Failed metrics (3)');
    expect(failed).toContain('- **bad-one**: Expected a number, found "NaN foo"');
    expect(failed).toContain('- **bad-three**: no reason given');
    expect(failed).not.toContain('ok-one');
    const badTwo = failed.split('\n').find((line) => line.startsWith('- **bad-two**'))!;
    expect(badTwo).toContain('boom &lt;b&gt;\\|&lt;/b&gt;');
    expect(badTwo).not.toContain('<b>');
    const reason = unescapeCell(badTwo.replace('- **bad-two**: ', ''));
    expect(Array.from(reason).length).toBeLessThanOrEqual(300);
    expect(reason.endsWith('…')).toBe(true);
  });

  it('has no failed section when everything worked', () => {
    expect(render(sampleReport({ metrics: [numericMetric('a')] }))).not.toContain('### Failed metrics');
  });

  it('shows the phases with status icons and durations', () => {
    const data = sampleReport({
      phases: [
        { name: 'download', status: 'skipped', durationMs: 0, detail: 'first run' },
        { name: 'collect', status: 'success', durationMs: 2_500 },
        { name: 'upload', status: 'failed', durationMs: 61_000, detail: 'Access denied | <retry>' },
      ],
    });
    const phases = parseTables(section(render(data), 'Phases'))[0];
    expect(phases.headers).toEqual(['Phase', 'Status', 'Duration', 'Detail']);
    expect(phases.rows).toEqual([
      ['download', '⏭️ skipped', '—', 'first run'],
      ['collect', '✅ success', '2.5 s', ''],
      ['upload', '❌ failed', '1 m 01 s', 'Access denied \\| &lt;retry&gt;'],
    ]);
  });

  it('shows warnings and the failure as GitHub alerts', () => {
    const markdown = render(
      sampleReport({
        warnings: ['first <warning>', 'second\nline'],
        failure: { code: 'S3_ACCESS_DENIED', message: 'Access denied to s3://b/k.\nGrant s3:PutObject.' },
      }),
    );
    expect(markdown).toContain('> [!WARNING]\n> first &lt;warning&gt;\n');
    expect(markdown).toContain('> [!WARNING]\n> second line\n');
    expect(markdown).toContain(
      '> [!CAUTION]\n> **The run failed** with `S3_ACCESS_DENIED`.\n>\n> ```text\n> Access denied to s3://b/k.\n> Grant s3:PutObject.\n> ```\n',
    );
    // Alerts come before the metrics.
    expect(markdown.indexOf('[!CAUTION]')).toBeLessThan(markdown.indexOf('### Metrics'));
  });

  it('describes the storage and appends the next step verbatim', () => {
    const nextStep = '### Next step\n\n```yaml\n- uses: actions/upload-artifact@v4\n  with:\n    path: x.db\n```';
    const markdown = render(
      sampleReport({
        storage: { type: 'sqlite-artifact', location: 'dir/`odd`|name.db', firstRun: true, notes: ['Size: <1 KB'] },
        nextStep,
      }),
    );
    const storage = section(markdown, 'Storage');
    expect(storage).toContain('- **Type:** `sqlite-artifact`');
    expect(storage).toContain('- **Location:** ``dir/`odd`|name.db``');
    expect(storage).toContain('- **First run:**');
    expect(storage).toContain('- Size: &lt;1 KB');
    expect(markdown.trimEnd().endsWith(nextStep)).toBe(true);
  });

  it('says so when there are no metrics', () => {
    const markdown = render(sampleReport({ metrics: [] }));
    expect(markdown).toContain('_No metrics were collected._');
    expect(parseTables(markdown).map((t) => t.headers[0])).toEqual(['Phase']);
  });
});
