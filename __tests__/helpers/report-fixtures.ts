import type { MetricRow, ReportData } from '../../src/report/types';

/** A realistic run: a few numeric and label metrics, one failure, all phases. */
export function sampleReport(overrides: Partial<ReportData> = {}): ReportData {
  const coverage = [80.1, 81.4, 81.4, 82.9, 83.9, 85.2];
  const bundle = [1250, 1241, 1230, 1219, 1210, 1204];
  return {
    metrics: [
      {
        name: 'coverage',
        type: 'numeric',
        unit: '%',
        description: 'Line coverage',
        value: 85.2,
        previous: 83.9,
        history: coverage,
        stats: { min: 80.1, max: 85.2, avg: 82.48, count: 6 },
        ok: true,
      },
      {
        name: 'bundle-size',
        type: 'numeric',
        unit: 'KB',
        description: 'Size of dist/index.js',
        value: 1204,
        previous: 1210,
        history: bundle,
        stats: { min: 1204, max: 1250, avg: 1225.67, count: 6 },
        ok: true,
      },
      {
        name: 'todo-count',
        type: 'numeric',
        value: 12,
        previous: 12,
        history: [14, 13, 12, 12],
        stats: { min: 12, max: 14, avg: 12.75, count: 4 },
        ok: true,
      },
      {
        name: 'build-status',
        type: 'label',
        value: 'healthy',
        previous: 'degraded',
        history: ['healthy', 'healthy', 'degraded', 'healthy'],
        ok: true,
      },
      {
        name: 'lint-errors',
        type: 'numeric',
        description: 'ESLint errors',
        previous: 3,
        history: [5, 4, 3],
        stats: { min: 3, max: 5, avg: 4, count: 3 },
        ok: false,
        error: 'Expected a number on the last non-empty line of stdout, found "eslint: command not found".',
      },
    ],
    phases: [
      { name: 'download', status: 'success', durationMs: 412, detail: 'downloaded 48 KB' },
      { name: 'collect', status: 'success', durationMs: 8_250, detail: '4 of 5 metrics' },
      { name: 'upload', status: 'success', durationMs: 1_320 },
      { name: 'report', status: 'success', durationMs: 35 },
    ],
    storage: {
      type: 'sqlite-s3',
      location: 's3://metrics-bucket/team/app.db',
      firstRun: false,
      notes: ['Database size: 48 KB.'],
    },
    build: {
      commitSha: '3f5c2a9e0b1d4c6f8a7e9d2b1c0a3f5e6d7c8b9a',
      branch: 'main',
      runId: '9876543210',
      runNumber: 42,
      totalBuilds: 6,
    },
    warnings: [],
    ...overrides,
  };
}

export function numericMetric(name: string, overrides: Partial<MetricRow> = {}): MetricRow {
  return { name, type: 'numeric', value: 1, previous: 1, history: [1, 1], ok: true, ...overrides };
}

/**
 * Splits one table line into cells the way cmark-gfm does: a pipe right after a
 * backslash is content, every other pipe separates cells. Leading/trailing pipes
 * are the row's edges.
 */
export function splitRow(line: string): string[] {
  const cells: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && line[i + 1] === '|') {
      current += '\\|';
      i++;
    } else if (c === '|') {
      cells.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  cells.push(current);
  // "| a | b |" -> ["", " a ", " b ", ""]: drop the empty edges.
  if (line.trimStart().startsWith('|')) cells.shift();
  if (line.trimEnd().endsWith('|') && !line.trimEnd().endsWith('\\|')) cells.pop();
  return cells.map((cell) => cell.trim());
}

/** Every markdown table in the text: header cells and body rows, split into cells. */
export function parseTables(markdown: string): Array<{ headers: string[]; rows: string[][] }> {
  const lines = markdown.split('\n');
  const tables: Array<{ headers: string[]; rows: string[][] }> = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].startsWith('|') || !/^\|(\s*:?-+:?\s*\|)+$/.test(lines[i + 1])) continue;
    const headers = splitRow(lines[i]);
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j].startsWith('|'); j++) rows.push(splitRow(lines[j]));
    tables.push({ headers, rows });
    i = j - 1;
  }
  return tables;
}

/** Reverses escapeCell: what a reader sees of a cell's text. */
export function unescapeCell(cell: string): string {
  return cell
    .replace(/\\\|/g, '|')
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
