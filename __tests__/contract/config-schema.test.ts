import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadConfig } from '../../src/config/load-config';
import { STORAGE_TYPES } from '../../src/config/types';
import schema from '../../src/config/unentropy.schema.json';
import { ActionError } from '../../src/errors';

// Verbatim from the contract's "unentropy.json" section.
const CONTRACT_EXAMPLE = `{
  "storage": {
    "type": "sqlite-s3",
    "s3": { "endpoint": "https://...", "bucket": "metrics", "region": "auto", "key": "team/app.db" }
  },
  "metrics": [
    { "name": "coverage", "type": "numeric", "unit": "%", "description": "Line coverage",
      "command": "node scripts/coverage-pct.js", "timeout": 120 },
    { "name": "build-status", "type": "label", "command": "echo healthy" }
  ]
}`;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-schema-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
function load(content: unknown): ReturnType<typeof loadConfig> {
  const file = path.join(dir, `unentropy-${counter++}.json`);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return loadConfig(file, 'unentropy.json');
}

function rejection(content: unknown): ActionError {
  try {
    load(content);
  } catch (e) {
    expect(e).toBeInstanceOf(ActionError);
    expect((e as ActionError).code).toBe('CONFIG_INVALID');
    return e as ActionError;
  }
  throw new Error('expected the config to be rejected');
}

const metric = (i: number, extra: Record<string, unknown> = {}) => ({ name: `m-${i}`, type: 'numeric', command: 'echo 1', ...extra });
const metrics = (n: number) => Array.from({ length: n }, (_, i) => metric(i));

describe('unentropy.json contract', () => {
  test('the contract example validates', () => {
    const config = load(CONTRACT_EXAMPLE);
    expect(config.storage?.type).toBe('sqlite-s3');
    expect(config.metrics.map((m) => m.name)).toEqual(['coverage', 'build-status']);
  });

  test('$schema is allowed', () => {
    expect(load({ $schema: './node_modules/x/unentropy.schema.json', metrics: metrics(1) }).metrics).toHaveLength(1);
  });

  test.each([1, 200])('%i metrics are accepted', (n) => {
    expect(load({ metrics: metrics(n) }).metrics).toHaveLength(n);
  });

  test('0 metrics are rejected', () => {
    expect(rejection({ metrics: [] }).message).toContain('unentropy.json: metrics: expected at least 1 metric(s), found 0');
  });

  test('201 metrics are rejected', () => {
    expect(rejection({ metrics: metrics(201) }).message).toContain('unentropy.json: metrics: expected at most 200 metrics, found 201');
  });

  test('metrics is required', () => {
    expect(rejection({}).message).toContain('(root): expected key `metrics`');
  });

  test('name: 64 chars accepted, 65 rejected', () => {
    expect(load({ metrics: [metric(0, { name: 'a'.repeat(64) })] }).metrics[0].name).toHaveLength(64);
    expect(rejection({ metrics: [metric(0, { name: 'a'.repeat(65) })] }).message).toContain(
      'metrics[0].name: expected at most 64 characters',
    );
  });

  test.each(['Coverage', '-leading-dash', 'has space', 'under_score', 'dot.ted', ''])('name %j breaks the pattern', (name) => {
    expect(rejection({ metrics: [metric(0, { name })] }).message).toContain('metrics[0].name: expected lowercase letters, digits and dashes');
  });

  test.each(['0', '9-lives', 'a-', 'coverage'])('name %j matches the pattern', (name) => {
    expect(load({ metrics: [metric(0, { name })] }).metrics[0].name).toBe(name);
  });

  test('unit: 10 chars accepted, 11 rejected', () => {
    expect(load({ metrics: [metric(0, { unit: 'u'.repeat(10) })] }).metrics[0].unit).toHaveLength(10);
    expect(rejection({ metrics: [metric(0, { unit: 'u'.repeat(11) })] }).message).toContain('metrics[0].unit: expected at most 10 characters');
  });

  test('description: 256 chars accepted, 257 rejected', () => {
    expect(load({ metrics: [metric(0, { description: 'd'.repeat(256) })] }).metrics[0].description).toHaveLength(256);
    expect(rejection({ metrics: [metric(0, { description: 'd'.repeat(257) })] }).message).toContain(
      'metrics[0].description: expected at most 256 characters',
    );
  });

  test('type must be numeric or label', () => {
    expect(rejection({ metrics: [metric(0, { type: 'text' })] }).message).toContain('expected one of "numeric", "label"');
  });

  test('command must be non-empty', () => {
    expect(rejection({ metrics: [metric(0, { command: '' })] }).message).toContain('metrics[0].command: expected a non-empty string');
  });

  test('timeout must be a positive number of seconds', () => {
    expect(load({ metrics: [metric(0, { timeout: 0.5 })] }).metrics[0].timeout).toBe(0.5);
    expect(rejection({ metrics: [metric(0, { timeout: -1 })] }).message).toContain('metrics[0].timeout: expected a number greater than 0');
  });

  test('duplicate names are rejected naming both indexes', () => {
    const e = rejection({ metrics: [metric(0), metric(1), metric(2, { name: 'm-0' })] });
    expect(e.message).toMatch(/metrics\[2\]\.name: .*"m-0".*metrics\[0\]/);
  });

  test('unknown keys are errors with a did-you-mean', () => {
    expect(rejection({ metrics: [metric(0, { comand: 'x' })] }).message).toContain('did you mean `command`?');
    expect(rejection({ metric: metrics(1) }).message).toContain('did you mean `metrics`?');
    expect(rejection({ metrics: metrics(1), storag: {} }).message).toContain('did you mean `storage`?');
  });

  test('unknown storage type lists the valid ones', () => {
    const e = rejection({ metrics: metrics(1), storage: { type: 'sqlite-gcs' } });
    for (const t of STORAGE_TYPES) expect(e.message).toContain(t);
  });
});

describe('schema file', () => {
  test('is draft-07, closed everywhere, and documents every property for editors', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const visit = (node: Record<string, unknown>, where: string): void => {
      if (node.type === 'object') expect([where, node.additionalProperties]).toEqual([where, false]);
      const props = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [key, child] of Object.entries(props)) {
        expect([`${where}.${key}`, typeof child.description]).toEqual([`${where}.${key}`, 'string']);
        visit(child, `${where}.${key}`);
      }
      if (node.items) visit(node.items as Record<string, unknown>, `${where}[]`);
    };
    visit(schema as unknown as Record<string, unknown>, '');
  });

  test('storage types match the shared type list', () => {
    expect(schema.properties.storage.properties.type.enum).toEqual([...STORAGE_TYPES]);
  });
});
