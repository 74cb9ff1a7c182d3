/**
 * Markdown helpers for the job summary. Everything a user can influence (labels,
 * descriptions, error output, paths) goes through `escapeCell` / `escapeInline` /
 * `codeSpan` so it can neither break the table layout nor inject HTML or links.
 */

// C0/C1 controls (tab and line breaks are handled separately) and the bidi
// overrides that can make text display differently from what it is.
const UNSAFE_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const LINE_BREAKS = /\r\n|[\r\n\t\u2028\u2029]/g;

// Characters that start inline markdown (code, emphasis, links, strikethrough,
// GitHub math) or split table cells. `<`, `>` and `&` become entities instead.
const MARKDOWN_SPECIALS = /[\\`*_[\]|~$]/g;

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Removes control characters and folds line breaks into spaces: one logical line. */
export function toSingleLine(text: string): string {
  return String(text).replace(LINE_BREAKS, ' ').replace(UNSAFE_CHARS, '');
}

/**
 * Shortens text to at most `maxChars` characters (code points, so surrogate pairs
 * are never split), ending with "…" when something was cut. Apply before escaping,
 * so an escape sequence is never cut in half.
 */
export function truncate(text: string, maxChars: number): string {
  // A string no longer than the limit in UTF-16 units is short enough in code points.
  if (text.length <= maxChars) return text;
  // Look only at the head: error output can be megabytes.
  const chars = Array.from(text.slice(0, maxChars * 2 + 2));
  if (chars.length <= maxChars && text.length <= maxChars * 2 + 2) return text;
  if (maxChars <= 1) return '…'.slice(0, Math.max(0, maxChars));
  return chars.slice(0, maxChars - 1).join('').trimEnd() + '…';
}

/** Text safe inside a GitHub-flavoured markdown table cell (and as HTML). */
export function escapeCell(text: string): string {
  return toSingleLine(text)
    .replace(MARKDOWN_SPECIALS, (c) => '\\' + c)
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c]);
}

/**
 * Text safe in a paragraph or list item. Same as a cell, plus a leading character
 * that would start a heading, list, or setext underline is neutralised.
 */
export function escapeInline(text: string): string {
  return escapeCell(text)
    .replace(/^(\s*)([#+=-])/, '$1\\$2')
    .replace(/^(\s*\d+)([.)])/, '$1\\$2');
}

/**
 * A code span holding `text` literally. The fence is one backtick longer than the
 * longest run inside, so user backticks cannot close it. `inTable` escapes pipes,
 * which GFM splits cells on even inside code spans.
 */
export function codeSpan(text: string, options: { inTable?: boolean } = {}): string {
  let body = toSingleLine(text);
  if (body.trim() === '') return '';
  const fence = '`'.repeat(longestBacktickRun(body) + 1);
  // Backslashes stay literal in code spans; GFM only unescapes `\|`.
  if (options.inTable) body = body.replace(/\|/g, '\\|');
  // A space on each side keeps a leading/trailing backtick from joining the fence.
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/**
 * A fenced code block holding `text` literally with its line breaks: markdown and HTML are not
 * parsed inside, and the fence is longer than any backtick run so the text cannot close it.
 * Returned as lines, so a caller can quote them.
 */
export function fencedBlock(text: string, info = ''): string[] {
  const body = String(text).replace(/\r\n?|[\u2028\u2029]/g, '\n').replace(UNSAFE_CHARS, '');
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(body) + 1));
  return [`${fence}${info}`, ...body.split('\n'), fence];
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}

export type Align = 'left' | 'right' | 'center';

const ALIGN_MARKERS: Record<Align, string> = { left: '---', right: '---:', center: ':---:' };

/**
 * A GFM table. Cells are markdown already (escape user text first); rows are padded
 * or cut to the header count so a row can never shift columns.
 */
export function table(headers: string[], rows: string[][], align: Align[] = []): string {
  return [tableHead(headers, align), ...rows.map((cells) => tableRow(cells, headers.length))].join('\n');
}

/** Header line and alignment line of a table. */
export function tableHead(headers: string[], align: Align[] = []): string {
  const separator = `|${headers.map((_, i) => ALIGN_MARKERS[align[i] ?? 'left']).join('|')}|`;
  return `${tableRow(headers, headers.length)}\n${separator}`;
}

/** One table line with exactly `columns` cells. */
export function tableRow(cells: string[], columns: number): string {
  const fitted: string[] = [];
  for (let i = 0; i < columns; i++) fitted.push(toSingleLine(cells[i] ?? '').trim() || ' ');
  return `| ${fitted.join(' | ')} |`;
}
