import { codeSpan, escapeCell, escapeInline, table, toSingleLine, truncate } from '../../src/report/markdown';
import { parseTables, splitRow, unescapeCell } from '../helpers/report-fixtures';

const NASTY = [
  'a | b',
  'line one\nline two\r\nline three',
  '<script>alert("x")</script>',
  '`code` and ``double``',
  '*bold* _em_ [link](http://evil.example) ![img](x)',
  'back\\slash \\| and trailing \\',
  '&amp; &lt;b&gt; &#124;',
  '~~strike~~ $x^2$',
  'tab\there',
  'bell\u0007 nul\u0000 esc\u001b[31m del\u007f c1\u0085',
  'rtl \u202Eevil\u202C',
  'emoji 📊 and 中文',
];

describe('escapeCell', () => {
  it.each(NASTY)('keeps a table row at its column count and round-trips: %j', (text) => {
    const markdown = table(['A', 'B', 'C'], [['left', escapeCell(text), 'right']]);
    const [parsed] = parseTables(markdown);
    expect(parsed.headers).toEqual(['A', 'B', 'C']);
    expect(parsed.rows).toHaveLength(1);
    expect(parsed.rows[0]).toHaveLength(3);
    expect(parsed.rows[0][0]).toBe('left');
    expect(parsed.rows[0][2]).toBe('right');
    // What the reader sees is the original text on one line, minus control characters.
    expect(unescapeCell(parsed.rows[0][1])).toBe(toSingleLine(text).trim());
  });

  it('leaves no raw HTML, newline, or unescaped markdown', () => {
    const escaped = escapeCell(NASTY.join(' '));
    expect(escaped).not.toMatch(/[<>\n\r]/);
    expect(escaped).not.toMatch(/&(?!amp;|lt;|gt;)/);
    // Every special is preceded by a backslash (itself not escaped).
    expect(escaped).not.toMatch(/(^|[^\\])(\\\\)*[`*_[\]|~$]/);
    expect(escaped).toContain('&lt;script&gt;');
  });

  it('strips control and bidi characters and folds line breaks into spaces', () => {
    expect(escapeCell('a\nb\r\nc\rd\te')).toBe('a b c d e');
    expect(escapeCell('x\u0000\u0007\u001b\u007f\u0085\u202Ey')).toBe('xy');
  });

  it('leaves ordinary text alone', () => {
    expect(escapeCell('build-status 85.2% (ok), done.')).toBe('build-status 85.2% (ok), done.');
  });
});

describe('escapeInline', () => {
  it('neutralises block markers at the start', () => {
    expect(escapeInline('# not a heading')).toBe('\\# not a heading');
    expect(escapeInline('- not a list')).toBe('\\- not a list');
    expect(escapeInline('+ not a list')).toBe('\\+ not a list');
    expect(escapeInline('1. not a list')).toBe('1\\. not a list');
    expect(escapeInline('> not a quote')).toBe('&gt; not a quote');
    expect(escapeInline('mid-line # and - stay')).toBe('mid-line # and - stay');
  });

  it('escapes like a cell otherwise', () => {
    expect(escapeInline('a *b* <i>')).toBe('a \\*b\\* &lt;i&gt;');
  });
});

describe('codeSpan', () => {
  it('wraps plain text in single backticks', () => {
    expect(codeSpan('s3://bucket/key')).toBe('`s3://bucket/key`');
  });

  it('uses a fence longer than any backtick run inside', () => {
    expect(codeSpan('a `b` c')).toBe('``a `b` c``');
    expect(codeSpan('x ``` y')).toBe('````x ``` y````');
    expect(codeSpan('`edge`')).toBe('`` `edge` ``');
  });

  it('escapes pipes only in tables and keeps one line', () => {
    expect(codeSpan('a|b')).toBe('`a|b`');
    expect(codeSpan('a|b\nc', { inTable: true })).toBe('`a\\|b c`');
    const [parsed] = parseTables(table(['X', 'Y'], [[codeSpan('p|q|r', { inTable: true }), 'y']]));
    expect(parsed.rows[0]).toHaveLength(2);
  });

  it('is empty for blank text', () => {
    expect(codeSpan('  ')).toBe('');
  });
});

describe('truncate', () => {
  it('cuts to the limit with an ellipsis and never splits a surrogate pair', () => {
    expect(truncate('abcdef', 10)).toBe('abcdef');
    expect(truncate('abcdef', 4)).toBe('abc…');
    const emoji = '📊'.repeat(10);
    const cut = truncate(emoji, 5);
    expect(Array.from(cut)).toHaveLength(5);
    expect(cut).toBe('📊📊📊📊…');
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('table', () => {
  it('builds header, alignment and rows, padding short rows and cutting long ones', () => {
    const markdown = table(['A', 'B', 'C'], [['1'], ['1', '2', '3', '4']], ['left', 'right', 'center']);
    const lines = markdown.split('\n');
    expect(lines[1]).toBe('|---|---:|:---:|');
    expect(splitRow(lines[2])).toEqual(['1', '', '']);
    expect(splitRow(lines[3])).toEqual(['1', '2', '3']);
  });
});
