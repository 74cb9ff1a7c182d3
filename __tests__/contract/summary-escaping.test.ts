import { ReportService } from '../../src/report/report-service';
import { toSingleLine, truncate } from '../../src/report/markdown';
import type { MetricRow } from '../../src/report/types';
import { parseTables, sampleReport, unescapeCell } from '../helpers/report-fixtures';

// Contract: "All user-supplied text is escaped."
const HOSTILE = 'a | b\nc\r\n<script>alert(1)</script> `tick` *x* _y_ [l](javascript:x) \\| ~~s~~ $m$ &amp;\u0007';

describe('job summary: user text cannot break the layout or inject HTML', () => {
  const metrics: MetricRow[] = [
    {
      name: 'label-metric',
      type: 'label',
      description: HOSTILE,
      value: HOSTILE,
      previous: `old ${HOSTILE}`,
      history: [HOSTILE, `old ${HOSTILE}`, HOSTILE],
      ok: true,
    },
    {
      name: 'numeric-metric',
      type: 'numeric',
      unit: '|<u>`',
      description: HOSTILE,
      value: 3,
      previous: 2,
      history: [1, 2, 3],
      stats: { min: 1, max: 3, avg: 2, count: 3 },
      ok: true,
    },
    { name: 'failed-metric', type: 'numeric', history: [], ok: false, error: HOSTILE },
  ];
  const markdown = new ReportService().render(
    sampleReport({
      metrics,
      phases: [{ name: 'collect', status: 'failed', durationMs: 10, detail: HOSTILE }],
      storage: { type: 'sqlite-local', location: `/tmp/${HOSTILE}`, firstRun: false, notes: [HOSTILE] },
      warnings: [HOSTILE],
      failure: { code: 'INTERNAL', message: HOSTILE },
      build: { commitSha: 'abc`def|0123', branch: 'feat/<x>|`y`', runId: '1', runNumber: 7, totalBuilds: 3 },
    }),
  );

  it('keeps every table row at its header width', () => {
    const tables = parseTables(markdown);
    expect(tables.map((t) => t.headers.length)).toEqual([7, 4]);
    for (const t of tables) for (const row of t.rows) expect(row).toHaveLength(t.headers.length);
    expect(tables[0].rows).toHaveLength(3);
    expect(tables[1].rows).toHaveLength(1);
  });

  it('shows the user text itself, on one line', () => {
    const [table] = parseTables(markdown);
    const label = table.rows[0];
    expect(unescapeCell(label[1])).toBe(toSingleLine(HOSTILE));
    expect(unescapeCell(label[0])).toBe(`**label-metric**<br><sub>${toSingleLine(HOSTILE)}</sub>`);
    expect(unescapeCell(table.rows[1][1])).toBe('3 |<u>`');
  });

  it('leaves no raw HTML from the user and no control characters', () => {
    // Location, branch and commit stay literal, inside code spans (checked below).
    const lines = markdown.split('\n');
    const location = lines.find((l) => l.startsWith('- **Location:** '))!;
    expect(location).toMatch(/^- \*\*Location:\*\* (``)[^`].*<script>.*[^`]\1$/);
    const outside = lines
      .filter((l) => l !== location && !l.startsWith('**Build**'))
      .filter((_, i, all) => !insideFence(all, i))
      .join('\n');
    expect(outside).not.toContain('<script');
    expect(outside).not.toContain('<u>');
    expect(outside).toContain('\\](javascript');
    expect(outside).not.toMatch(/[^\\]\]\(javascript/);
    expect(markdown).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F]/);
    // Only our own tags remain.
    const tags = new Set(outside.match(/<\/?[a-z]+>/g));
    expect([...tags].sort()).toEqual(['</sub>', '<br>', '<sub>']);
  });

  it('keeps the failure reason, warning and notes to one escaped line each', () => {
    const expected = '&lt;script&gt;alert(1)&lt;/script&gt; \\`tick\\` \\*x\\* \\_y\\_';
    const failedLine = markdown.split('\n').find((l) => l.startsWith('- **failed-metric**'))!;
    expect(failedLine).toContain(expected);
    expect(markdown).toMatch(new RegExp(`> \\[!WARNING\\]\\n> a \\\\\\| b c .*${escapeRegExp(expected)}`));
    // The failure message is shown literally in a fenced block (checked in its own test below).
    expect(truncate(HOSTILE, 300)).toBe(HOSTILE);
  });

  it('puts branch and commit in code spans the user text cannot close', () => {
    const build = markdown.split('\n')[2];
    expect(build).toBe('**Build** ``abc`def|0123`` on `` feat/<x>|`y` `` · run #7 · 3 builds recorded');
  });
});

/** Whether line i of a blockquoted summary is inside (or is) a fenced code block. */
function insideFence(lines: string[], i: number): boolean {
  let open: string | undefined;
  for (let n = 0; n <= i; n++) {
    const m = /^> (`{3,})/.exec(lines[n]);
    if (m && (!open || m[1].length >= open.length)) {
      if (n === i) return true;
      open = open ? undefined : m[1];
    }
  }
  return open !== undefined;
}

describe('the failure message', () => {
  const render = (message: string) =>
    new ReportService().render(sampleReport({ failure: { code: 'INTERNAL', message } }));

  test('is shown literally in a fenced block inside the alert, one quoted line per line', () => {
    const markdown = render('first line\nwith: yaml\n  key: ${{ secrets.X }}');
    expect(markdown).toContain('> [!CAUTION]\n> **The run failed** with `INTERNAL`.\n>\n> ```text\n> first line\n> with: yaml\n>   key: ${{ secrets.X }}\n> ```');
  });

  test('cannot close its fence early, whatever backticks it holds', () => {
    const markdown = render('a ``` b ```` c\n```` <script>x</script>');
    const lines = markdown.split('\n');
    const open = lines.findIndex((l) => /^> `{5}text$/.test(l));
    expect(open).toBeGreaterThan(-1);
    expect(lines[open + 1]).toBe('> a ``` b ```` c');
    expect(lines[open + 2]).toBe('> ```` <script>x</script>');
    expect(lines[open + 3]).toBe('> `````');
  });

  test('drops control and bidi-override characters', () => {
    expect(render('a\u0007b\u202Ec')).toContain('> abc');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
