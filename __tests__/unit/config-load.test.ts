import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { errorLocation, findSyntaxErrorOffset, loadConfig, offsetToLineColumn } from '../../src/config/load-config';
import { ActionError } from '../../src/errors';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-load-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeConfig(text: string): string {
  const file = path.join(dir, 'unentropy.json');
  fs.writeFileSync(file, text);
  return file;
}

function loadError(file: string, display?: string): ActionError {
  try {
    loadConfig(file, display);
  } catch (e) {
    expect(e).toBeInstanceOf(ActionError);
    return e as ActionError;
  }
  throw new Error('expected loadConfig to fail');
}

const VALID = { metrics: [{ name: 'loc', type: 'numeric', command: 'echo 1' }] };

describe('loadConfig', () => {
  test('returns the parsed config of a valid file', () => {
    const file = writeConfig(JSON.stringify(VALID, null, 2));
    expect(loadConfig(file)).toEqual(VALID);
  });

  test('accepts a UTF-8 byte order mark', () => {
    const file = writeConfig(`\ufeff${JSON.stringify(VALID)}`);
    expect(loadConfig(file).metrics[0].name).toBe('loc');
  });

  test('missing file: names the path, says what to do, shows an example', () => {
    const e = loadError(path.join(dir, 'nope.json'), 'config/nope.json');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('not found at config/nope.json');
    expect(e.hint).toContain('`config-file`');
    expect(e.hint).toMatch(/Create it/);
    // the example itself must be a valid config
    const example = /Minimal example: (\{.*\})$/.exec(e.hint ?? '')?.[1];
    expect(example).toBeDefined();
    const exampleFile = writeConfig(example as string);
    expect(loadConfig(exampleFile).metrics).toHaveLength(1);
  });

  test('a directory is reported as such', () => {
    const e = loadError(dir, 'somewhere');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('somewhere is a directory');
  });

  test('empty file', () => {
    const e = loadError(writeConfig('  \n'), 'unentropy.json');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('unentropy.json is empty');
  });

  test.each([
    // [description, text, line, column]
    ['trailing comma', '{\n  "metrics": [\n    { "name": "a", "type": "label", "command": "x", }\n  ]\n}\n', 3, 53],
    ['bare word value (V8 gives no position)', '{\n  "metrics": [\n    { "name": "a", "type": label }\n  ]\n}', 3, 28],
    ['missing colon', '{\n  "metrics" []\n}', 2, 13],
    ['single quotes', "{\n\n  'metrics': []\n}", 3, 3],
    ['unterminated object', '{\n  "metrics": []\n', 3, 1],
    ['garbage after the document', '{"metrics": []}\n}', 2, 1],
    ['CRLF line endings', '{\r\n  "metrics": [\r\n    1,,\r\n  ]\r\n}', 3, 7],
  ])('malformed JSON (%s) names file, line and column with an excerpt', (_label, text, line, column) => {
    const e = loadError(writeConfig(text), 'unentropy.json');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain(`Malformed JSON in unentropy.json at line ${line}, column ${column}`);
    const sourceLine = text.split(/\r?\n/)[line - 1];
    expect(e.message).toContain(`${line} | ${sourceLine}`);
    // the caret sits under the column
    const caretLine = e.message.split('\n').find((l) => l.trimEnd().endsWith('^')) ?? '';
    const barAt = caretLine.indexOf('|');
    expect(caretLine.indexOf('^') - (barAt + 2)).toBe(column - 1);
  });

  test('explains the usual culprits', () => {
    expect(loadError(writeConfig('{"metrics": [1,]}')).hint).toContain('trailing comma');
    expect(loadError(writeConfig('{\n // note\n "metrics": []}')).hint).toContain('comments are not allowed');
    expect(loadError(writeConfig("{'metrics': []}")).hint).toContain('double quotes');
  });

  test('a missing closing quote is named as such, not only as V8\'s "bad control character"', () => {
    const err = loadError(writeConfig('{\n  "metrics": [\n    { "name": "a", "type": "numeric", "command": "echo 1 }\n  ]\n}\n'));
    expect(err.message).toContain('line 3');
    expect(err.hint).toContain('missing closing double quote');
  });

  test('does not echo the whole document from V8 messages', () => {
    const e = loadError(writeConfig('{"metrics": [{"name": "a", "type": label, "command": "TOPSECRETCMD"}]}'));
    expect(e.message).not.toMatch(/is not valid JSON/);
    expect(e.message.split('\n')[0]).not.toContain('TOPSECRETCMD');
  });

  test('bounds the excerpt of a very long line', () => {
    const long = `{"metrics": [${'1,'.repeat(200)} x]}`;
    const e = loadError(writeConfig(long));
    const excerpt = e.message.split('\n')[1];
    expect(excerpt.length).toBeLessThan(100);
    expect(excerpt).toContain('x]');
  });

  test('schema problems are reported after parsing', () => {
    const e = loadError(writeConfig('{"metrics": []}'), 'ci/unentropy.json');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('ci/unentropy.json: metrics: expected at least 1');
  });
});

describe('JSON error location', () => {
  test('reads "(line L column C)" from newer runtimes', () => {
    expect(errorLocation('whatever', "Expected ',' or '}' after property value in JSON at position 99 (line 4 column 7)")).toEqual({
      line: 4,
      column: 7,
    });
  });

  test('converts "at position N" from Node 20', () => {
    const text = '{\n "a": 1,\n}';
    expect(errorLocation(text, 'Expected double-quoted property name in JSON at position 11')).toEqual({ line: 3, column: 1 });
  });

  test('finds the position itself when the message has none', () => {
    expect(errorLocation('{\n"a": tru}', 'Unexpected token \'}\', "{"a": tru}" is not valid JSON')).toEqual({ line: 2, column: 9 });
    expect(errorLocation('{"a": [', 'Unexpected end of JSON input')).toEqual({ line: 1, column: 8 });
  });

  // The scanner must agree with the runtime wherever the runtime does report a position.
  test.each(['{"a" 1}', '{"a":1', '{"a":1}}', '{"a":"b\n"}', "{'a':1}", '{\n "a": 1,\n}', '[1,2,,3]', '{"a":01}', '{"a":"\\x"}'])(
    'scanner agrees with JSON.parse on %j',
    (text) => {
      let message = '';
      try {
        JSON.parse(text);
      } catch (e) {
        message = (e as Error).message;
      }
      const reported = /at position (\d+)/.exec(message);
      expect(findSyntaxErrorOffset(text)).toBeLessThanOrEqual(text.length);
      if (reported) expect(findSyntaxErrorOffset(text)).toBe(Number(reported[1]));
    },
  );

  test('offsetToLineColumn', () => {
    expect(offsetToLineColumn('ab\ncd\r\nef', 0)).toEqual({ line: 1, column: 1 });
    expect(offsetToLineColumn('ab\ncd\r\nef', 4)).toEqual({ line: 2, column: 2 });
    expect(offsetToLineColumn('ab\ncd\r\nef', 8)).toEqual({ line: 3, column: 2 });
  });
});
