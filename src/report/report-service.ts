import { promises as fs } from 'fs';
import * as core from '@actions/core';

import type { MetricRow, PhaseRecord, PhaseStatus, ReportData } from './types';
import { codeSpan, escapeCell, fencedBlock, escapeInline, tableHead, tableRow, truncate, type Align } from './markdown';
import { sparkline, labelTrail } from './sparkline';
import { formatChange, formatDuration, formatLabelChange, formatValue, NONE } from './format';

/**
 * GitHub rejects a step summary over 1024 KiB; stay well below it so the file can
 * still take a little content from others in the same step.
 */
export const DEFAULT_MAX_BYTES = 900 * 1024;

/** How much of each cell we show. Tighter levels are tried when the summary is too big. */
interface Limits {
  label: number;
  description: number;
  reason: number;
  detail: number;
  trendPoints: number;
  trailItems: number;
  trailChars: number;
  showTrend: boolean;
}

const FULL: Limits = {
  label: 256,
  description: 256,
  reason: 300,
  detail: 300,
  trendPoints: 20,
  trailItems: 3,
  trailChars: 32,
  showTrend: true,
};
const COMPACT: Limits = {
  label: 48,
  description: 80,
  reason: 120,
  detail: 120,
  trendPoints: 12,
  trailItems: 2,
  trailChars: 16,
  showTrend: true,
};
const NO_TREND: Limits = { ...COMPACT, showTrend: false };

/** Warnings, notes and the failure message are ours but may quote user values. */
const MESSAGE_CHARS = 2000;

const STATUS_ICONS: Record<PhaseStatus, string> = { success: '✅', skipped: '⏭️', failed: '❌' };

const MORE_METRICS = (n: number): string => `… ${n} more metric${n === 1 ? '' : 's'} not shown (summary size limit)`;
const MORE_FAILED = (n: number): string =>
  `… ${n} more failed metric${n === 1 ? '' : 's'} not shown (summary size limit)`;
const TRUNCATED = '… summary truncated (summary size limit)';

export interface WriteOptions {
  inActions: boolean;
  /** where the summary goes outside Actions; default process.stdout */
  stdout?: NodeJS.WritableStream;
  /** masks known secrets in the finished markdown (the last line of defence: nothing else should carry one) */
  redact?: (markdown: string) => string;
}

/** Renders the job summary and writes it where the user will see it. */
export class ReportService {
  private readonly maxBytes: number;

  constructor(options: { maxBytes?: number } = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /** Markdown for the job summary, never larger than `maxBytes` (UTF-8). */
  render(data: ReportData): string {
    // Degrade step by step: shorter cells, then no trend column, then fewer rows.
    for (const limits of [FULL, COMPACT, NO_TREND]) {
      const markdown = this.compose(data, limits, Infinity);
      if (byteLength(markdown) <= this.maxBytes) return markdown;
    }
    const markdown = this.compose(data, NO_TREND, this.maxBytes);
    // Only reachable when our own parts (warnings, notes, next step) are huge.
    return byteLength(markdown) <= this.maxBytes ? markdown : cutToBytes(markdown, this.maxBytes);
  }

  /**
   * In Actions, appends the summary to the file named by GITHUB_STEP_SUMMARY;
   * locally, prints it. Returns the markdown either way.
   */
  async write(data: ReportData, options: WriteOptions): Promise<string> {
    const markdown = (options.redact ?? ((m: string) => m))(this.render(data));
    const stdout = options.stdout ?? process.stdout;
    if (!options.inActions) {
      stdout.write(`${markdown}\n`);
      return markdown;
    }
    try {
      const separator = await separatorBefore(process.env.GITHUB_STEP_SUMMARY);
      await core.summary.addRaw(separator + markdown, true).write();
    } catch (e) {
      // A missing summary must not hide the results: they go to the log instead.
      core.summary.emptyBuffer();
      const reason = e instanceof Error ? e.message : String(e);
      core.warning(
        `Could not write the job summary (GITHUB_STEP_SUMMARY): ${reason} ` +
          'The summary is printed to the log below instead.',
      );
      stdout.write(`${markdown}\n`);
    }
    return markdown;
  }

  /** Builds the whole summary; `budget` bytes bounds the metric rows and failure list. */
  private compose(data: ReportData, limits: Limits, budget: number): string {
    const head = [this.title(), this.buildLine(data), ...this.warnings(data), this.failure(data)];
    const tail = [this.phases(data.phases, limits), this.storage(data), data.nextStep?.trim() ?? ''];

    // What is left for the metrics table and the failure list, minus room for joins.
    const fixed = byteLength(head.join('\n\n')) + byteLength(tail.join('\n\n')) + 256;
    const remaining = budget - fixed;
    // When rows must be cut, keep up to a third of the room for the failure reasons:
    // they are what the reader needs first when something broke.
    const failedReserve = Number.isFinite(remaining)
      ? Math.min(byteLength(this.failedSection(data.metrics, limits, Infinity)), Math.max(0, remaining) / 3)
      : 0;
    const metrics = this.metricsSection(data.metrics, limits, remaining - failedReserve);
    const failed = this.failedSection(data.metrics, limits, remaining - byteLength(metrics));

    return `${[...head, metrics, failed, ...tail].filter((part) => part !== '').join('\n\n')}\n`;
  }

  private title(): string {
    return '## 📊 track-metrics';
  }

  private buildLine(data: ReportData): string {
    const { build } = data;
    // Abbreviate real SHAs only; placeholders such as "uncommitted" stay whole.
    const sha = build.commitSha
      ? codeSpan(/^[0-9a-f]{40}$/i.test(build.commitSha) ? build.commitSha.slice(0, 7) : build.commitSha)
      : 'unknown commit';
    const branch = build.branch ? ` on ${codeSpan(build.branch)}` : '';
    const run = Number.isFinite(build.runNumber) && build.runNumber > 0 ? ` · run #${build.runNumber}` : '';
    const n = build.totalBuilds;
    // A run that failed before opening the database does not know the count: say nothing.
    const total = Number.isFinite(n) && !(n === 0 && data.failure) ? ` · ${n} build${n === 1 ? '' : 's'} recorded` : '';
    return `**Build** ${sha}${branch}${run}${total}`;
  }

  private warnings({ warnings }: ReportData): string[] {
    return warnings.map((w) => `> [!WARNING]\n> ${escapeInline(truncate(w, MESSAGE_CHARS))}`);
  }

  private failure({ failure }: ReportData): string {
    if (!failure) return '';
    // In a fenced block the message keeps its line breaks (the YAML of a fix) and stays literal.
    const block = fencedBlock(truncate(failure.message, MESSAGE_CHARS), 'text').map((line) => `> ${line}`.trimEnd());
    return ['> [!CAUTION]', `> **The run failed** with ${codeSpan(failure.code) || '`INTERNAL`'}.`, '>', ...block].join('\n');
  }

  private metricsSection(metrics: MetricRow[], limits: Limits, budget: number): string {
    const title = '### Metrics';
    if (metrics.length === 0) return `${title}\n\n_No metrics were collected._`;

    const failedCount = metrics.filter((m) => !m.ok).length;
    const counts = `${metrics.length - failedCount} collected${failedCount ? `, ${failedCount} failed` : ''}.`;

    const headers = ['Metric', 'Value', 'Change', ...(limits.showTrend ? ['Trend'] : []), 'Min', 'Max', 'Avg'];
    const align: Align[] = ['left', 'right', 'left', ...(limits.showTrend ? ['left' as const] : []), 'right', 'right', 'right'];
    const intro = `${title}\n\n${counts}\n\n${tableHead(headers, align)}`;

    const lines: string[] = [];
    let used = byteLength(intro) + byteLength(MORE_METRICS(metrics.length)) + 4;
    for (const metric of metrics) {
      const line = tableRow(this.metricCells(metric, limits), headers.length);
      used += byteLength(line) + 1;
      if (used > budget) break;
      lines.push(line);
    }

    const hidden = metrics.length - lines.length;
    if (lines.length === 0) return `${title}\n\n${counts}\n\n${MORE_METRICS(hidden)}`;
    const more = hidden > 0 ? `\n\n${MORE_METRICS(hidden)}` : '';
    return `${intro}\n${lines.join('\n')}${more}`;
  }

  private metricCells(metric: MetricRow, limits: Limits): string[] {
    const name = `**${escapeCell(truncate(metric.name, 100))}**`;
    const description = metric.description?.trim()
      ? `<br><sub>${escapeCell(truncate(metric.description.trim(), limits.description))}</sub>`
      : '';
    const cells = [name + description];
    const isLabel = metric.type === 'label';

    if (!metric.ok || metric.value === undefined) {
      cells.push('❌ failed', NONE);
    } else if (isLabel) {
      cells.push(
        escapeCell(truncate(String(metric.value), limits.label)),
        escapeCell(formatLabelChange(metric.value, metric.previous, { maxChars: limits.trailChars })),
      );
    } else {
      cells.push(escapeCell(formatValue(metric.value, metric.unit)), escapeCell(formatChange(metric.value, metric.previous)));
    }

    if (limits.showTrend) cells.push(this.trend(metric, limits));

    if (isLabel || !metric.stats || metric.stats.count === 0) {
      cells.push(NONE, NONE, NONE);
    } else {
      const { min, max, avg } = metric.stats;
      cells.push(...[min, max, avg].map((v) => escapeCell(formatValue(v, metric.unit))));
    }
    return cells;
  }

  private trend(metric: MetricRow, limits: Limits): string {
    if (metric.type === 'label') {
      const recent = metric.history.slice(-50);
      const trail = labelTrail(recent, { maxItems: limits.trailItems });
      // One distinct value would only repeat the Value column: say how long it has held instead.
      if (trail.length <= 1) return recent.length > 1 ? `same for ${recent.length} builds` : NONE;
      return trail.map((label) => escapeCell(truncate(label, limits.trailChars))).join(' → ');
    }
    const recent = metric.history.slice(-limits.trendPoints).map((v) => (typeof v === 'number' ? v : NaN));
    return recent.length > 1 ? sparkline(recent) : NONE;
  }

  private failedSection(metrics: MetricRow[], limits: Limits, budget: number): string {
    const failed = metrics.filter((m) => !m.ok);
    if (failed.length === 0) return '';

    const intro = `### Failed metrics (${failed.length})`;
    const items: string[] = [];
    let used = byteLength(intro) + byteLength(MORE_FAILED(failed.length)) + 4;
    for (const metric of failed) {
      const reason = metric.error?.trim() ? escapeInline(truncate(metric.error.trim(), limits.reason)) : 'no reason given';
      const item = `- **${escapeCell(truncate(metric.name, 100))}**: ${reason}`;
      used += byteLength(item) + 1;
      if (used > budget) break;
      items.push(item);
    }

    const hidden = failed.length - items.length;
    const parts = [intro, items.join('\n'), hidden > 0 ? MORE_FAILED(hidden) : ''];
    return parts.filter((part) => part !== '').join('\n\n');
  }

  private phases(phases: PhaseRecord[], limits: Limits): string {
    if (phases.length === 0) return '';
    const rows = phases.map((phase) =>
      tableRow(
        [
          escapeCell(phase.name),
          `${STATUS_ICONS[phase.status] ?? ''} ${escapeCell(phase.status)}`,
          phase.status === 'skipped' && !phase.durationMs ? NONE : formatDuration(phase.durationMs),
          phase.detail?.trim() ? escapeCell(truncate(phase.detail.trim(), limits.detail)) : '',
        ],
        4,
      ),
    );
    const head = tableHead(['Phase', 'Status', 'Duration', 'Detail'], ['left', 'left', 'right', 'left']);
    return `### Phases\n\n${head}\n${rows.join('\n')}`;
  }

  private storage({ storage }: ReportData): string {
    const lines = [`- **Type:** ${codeSpan(storage.type)}`];
    if (storage.location) lines.push(`- **Location:** ${codeSpan(storage.location)}`);
    if (storage.firstRun) lines.push('- **First run:** no database existed yet, so this run started a new one.');
    for (const note of storage.notes) lines.push(`- ${escapeInline(truncate(note, MESSAGE_CHARS))}`);
    return `### Storage\n\n${lines.join('\n')}`;
  }
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Last resort: cut at a line boundary and say so. */
function cutToBytes(markdown: string, maxBytes: number): string {
  const notice = `\n\n${TRUNCATED}\n`;
  const room = Math.max(0, maxBytes - byteLength(notice));
  // Decoding a cut buffer may leave half a character; drop it.
  let text = Buffer.from(markdown, 'utf8').subarray(0, room).toString('utf8').replace(/\uFFFD+$/, '');
  const lastLine = text.lastIndexOf('\n');
  if (lastLine > 0) text = text.slice(0, lastLine);
  return text.trimEnd() + notice;
}

/** What to put before our summary so it starts a new block after others' content. */
async function separatorBefore(file: string | undefined): Promise<string> {
  if (!file) return '';
  try {
    const handle = await fs.open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size === 0) return '';
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      return last[0] === 0x0a ? '\n' : '\n\n';
    } finally {
      await handle.close();
    }
  } catch {
    // core.summary reports a missing or unwritable file with a clear message.
    return '';
  }
}
