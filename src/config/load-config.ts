import * as fs from 'fs';
import { ActionError } from '../errors';
import type { UnentropyConfig } from './types';
import { validateConfig } from './validate-config';

const MINIMAL_EXAMPLE =
  '{ "metrics": [ { "name": "lines-of-code", "type": "numeric", "command": "git ls-files | xargs cat | wc -l" } ] }';

/**
 * Reads, parses and validates unentropy.json.
 * `displayPath` is how the file is named in messages (usually relative to the workspace).
 */
export function loadConfig(filePath: string, displayPath: string = filePath): UnentropyConfig {
  const text = readConfigText(filePath, displayPath);
  const data = parseConfigJson(text, displayPath);
  return validateConfig(data, displayPath);
}

function readConfigText(filePath: string, displayPath: string): string {
  try {
    return fs.readFileSync(filePath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ActionError('CONFIG_INVALID', `Config file not found at ${displayPath}.`, {
        hint:
          'Create it in the repository root, or set the `config-file` input to its path (relative to the workspace). ' +
          `Minimal example: ${MINIMAL_EXAMPLE}`,
        cause: e,
      });
    }
    if (code === 'EISDIR') {
      throw new ActionError('CONFIG_INVALID', `Config file ${displayPath} is a directory, expected a JSON file.`, {
        hint: 'Set the `config-file` input to the path of unentropy.json.',
        cause: e,
      });
    }
    throw new ActionError('CONFIG_INVALID', `Could not read config file ${displayPath}: ${code ?? (e as Error).message}.`, {
      hint: 'Check that the file exists and is readable by the runner.',
      cause: e,
    });
  }
}

/** JSON.parse with an error that points at the line and column and shows the line. */
export function parseConfigJson(text: string, displayPath: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // editors on Windows add a BOM
  if (body.trim() === '') {
    throw new ActionError('CONFIG_INVALID', `Config file ${displayPath} is empty.`, {
      hint: `It must hold a JSON object. Minimal example: ${MINIMAL_EXAMPLE}`,
    });
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    const reason = (e as Error).message;
    const { line, column } = errorLocation(body, reason);
    const lineText = body.split(/\r?\n/)[line - 1] ?? '';
    const excerpt = excerptLine(lineText, column);
    throw new ActionError(
      'CONFIG_INVALID',
      `Malformed JSON in ${displayPath} at line ${line}, column ${column}: ${shortReason(reason)}\n` +
        `  ${line} | ${excerpt.text}\n` +
        `  ${' '.repeat(String(line).length)} | ${' '.repeat(excerpt.caret)}^`,
      { hint: `Fix the JSON syntax${likelyCause(body, line, column, reason)}.`, cause: e },
    );
  }
}

/** 1-based line and column of a JSON.parse failure. */
export function errorLocation(text: string, message: string): { line: number; column: number } {
  // Newer V8 (Node 22+) already says "(line L column C)".
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const pos = /at position (\d+)/.exec(message);
  // "Unexpected token 'x', ... is not valid JSON" and "Unexpected end" carry no position: find it ourselves.
  const offset = pos ? Number(pos[1]) : findSyntaxErrorOffset(text);
  return offsetToLineColumn(text, offset);
}

export function offsetToLineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].replace(/\r$/, '').length + 1 };
}

/** V8's message minus the echo of the whole document it sometimes includes. */
function shortReason(message: string): string {
  return message
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+( \(line \d+ column \d+\))?/, '')
    .trim();
}

function likelyCause(text: string, line: number, column: number, reason: string): string {
  // A string that runs into a line break (or the end of the file) lost its closing quote.
  if (/Bad control character in string literal|Unterminated string/i.test(reason)) {
    return ': a string is not closed; add the missing closing double quote (") before the end of the line';
  }
  const lineText = text.split(/\r?\n/)[line - 1] ?? '';
  const rest = lineText.slice(column - 1).trimStart();
  if (rest.startsWith('//') || rest.startsWith('/*')) return ': comments are not allowed in JSON';
  if (rest.startsWith("'")) return ': use double quotes for strings and keys';
  if (/^[}\]]/.test(rest) && /,\s*$/.test(textBefore(text, line, column))) {
    return ': remove the trailing comma before it';
  }
  return '';
}

function textBefore(text: string, line: number, column: number): string {
  const lines = text.split(/\r?\n/);
  return [...lines.slice(0, line - 1), (lines[line - 1] ?? '').slice(0, column - 1)].join('\n');
}

/** Up to ~80 characters of the line around the column, and where the caret goes. */
function excerptLine(lineText: string, column: number): { text: string; caret: number } {
  const width = 80;
  const index = Math.max(0, column - 1);
  if (lineText.length <= width) return { text: lineText, caret: index };
  const start = Math.max(0, Math.min(index - width / 2, lineText.length - width));
  const prefix = start > 0 ? '…' : '';
  const suffix = start + width < lineText.length ? '…' : '';
  return { text: `${prefix}${lineText.slice(start, start + width)}${suffix}`, caret: index - start + prefix.length };
}

/**
 * Offset of the first syntax error in `text`, found by a small strict JSON scanner.
 * Only used when the runtime's message has no position; text.length means "ended too early".
 */
export function findSyntaxErrorOffset(text: string): number {
  let i = 0;
  const fail = (at: number): never => {
    throw new ScanError(at);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) fail(i);
  };
  const string = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') fail(i);
      if (c === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) fail(i + k);
          i += 5;
        } else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i])) i++;
        else fail(i);
      } else i++;
    }
    fail(i);
  };
  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail(i);
    else i += m[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(i);
        string();
        ws();
        if (text[i] !== ':') fail(i);
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail(i);
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail(i);
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail(i);
  };
  try {
    value();
    ws();
    if (i < text.length) fail(i);
    return text.length;
  } catch (e) {
    if (e instanceof ScanError) return Math.min(e.offset, text.length);
    throw e;
  }
}

class ScanError extends Error {
  constructor(readonly offset: number) {
    super('syntax error');
  }
}
