import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { ActionError } from '../errors';
import type { UnentropyConfig } from './types';
import schema from './unentropy.schema.json';

/** More than this and the list stops helping; the rest is counted. */
const MAX_LISTED_ERRORS = 10;
const MAX_FOUND_CHARS = 80;

/** Keys that look like secrets. Matched on the key lower-cased with separators removed. */
const CREDENTIAL_KEY = /accesskey|secret|sessiontoken|password|passwd|credential|token|apikey/;

/** Allowed keys per object kind, for "did you mean" and misplaced-key hints. */
const KNOWN_KEYS = {
  root: ['$schema', 'storage', 'metrics'],
  storage: ['type', 's3'],
  s3: ['endpoint', 'bucket', 'region', 'key', 'forcePathStyle'],
  metric: ['name', 'type', 'command', 'unit', 'description', 'timeout'],
} as const;
type ObjectKind = keyof typeof KNOWN_KEYS;

const HOME_OF_KEY: Record<string, string> = {
  s3: 'storage.s3',
  endpoint: 'storage.s3.endpoint',
  bucket: 'storage.s3.bucket',
  region: 'storage.s3.region',
  key: 'storage.s3.key',
  forcePathStyle: 'storage.s3.forcePathStyle',
  type: 'storage.type',
};

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/**
 * Checks parsed unentropy.json content against the contract.
 * Throws CONFIG_INVALID listing every problem found (bounded); returns the typed config otherwise.
 */
export function validateConfig(data: unknown, file: string): UnentropyConfig {
  const problems = findConfigProblems(data);
  if (problems.length === 0) return data as UnentropyConfig;

  const listed = problems.slice(0, MAX_LISTED_ERRORS).map((p) => `${file}: ${p}`);
  if (problems.length > MAX_LISTED_ERRORS) {
    listed.push(`…and ${problems.length - MAX_LISTED_ERRORS} more`);
  }
  const message =
    listed.length === 1
      ? `Invalid configuration: ${listed[0]}`
      : `Invalid configuration (${problems.length} problems):\n  - ${listed.join('\n  - ')}`;
  return throwInvalid(message, file);
}

function throwInvalid(message: string, file: string): never {
  throw new ActionError('CONFIG_INVALID', message, {
    hint: `Fix ${file} as described. The schema of this file is src/config/unentropy.schema.json in the track-metrics repository; point "$schema" at it for checks in your editor.`,
  });
}

/** Every problem as `<json path>: <what is wrong>`, without the file name. Credential values are never included. */
export function findConfigProblems(data: unknown): string[] {
  const problems: string[] = [];
  const credentialPaths = new Set<string>();

  walkKeys(data, [], (key, path) => {
    if (!isCredentialKey(key)) return;
    const where = formatPath(path);
    credentialPaths.add(where);
    problems.push(
      `${where}: credentials are not accepted in the config file (value not shown). ` +
        'Remove it and pass credentials only as action inputs from secrets ' +
        '(s3-access-key-id, s3-secret-access-key, s3-session-token) or through the environment ' +
        '(e.g. aws-actions/configure-aws-credentials); rotate it if this file was ever committed.',
    );
  });

  const validate = validator();
  if (!validate(data)) {
    for (const error of validate.errors ?? []) {
      const message = describeAjvError(error, data, credentialPaths);
      if (message !== undefined) problems.push(message);
    }
  }

  problems.push(...findDuplicateNames(data));
  return problems;
}

function describeAjvError(error: ErrorObject, root: unknown, credentialPaths: Set<string>): string | undefined {
  const segments = pointerToSegments(error.instancePath);
  const where = formatPath(segments);
  const value = valueAt(root, segments);
  const found = `found ${describeValue(value)}`;
  const params = error.params as Record<string, unknown>;

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const keyPath = formatPath([...segments, key]);
      if (credentialPaths.has(keyPath)) return undefined; // already reported, without the value
      return describeUnknownKey(key, keyPath, objectKind(segments));
    }
    case 'required': {
      const missing = String(params.missingProperty);
      // A misspelt key is already reported as unknown with "did you mean"; one message is enough.
      const kind = objectKind(segments);
      const known: readonly string[] = kind ? KNOWN_KEYS[kind] : [];
      if (isObject(value) && Object.keys(value).some((k) => !known.includes(k) && closest(k, known) === missing)) {
        return undefined;
      }
      return `${where}: expected key \`${String(params.missingProperty)}\`, found it missing (keys: ${keyList(value)})`;
    }
    case 'type':
      return `${where}: expected ${article(String(params.type))}, ${found}`;
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const suggestion = typeof value === 'string' ? closest(value, (params.allowedValues as string[]) ?? []) : undefined;
      return `${where}: expected one of ${allowed.join(', ')}, ${found}${suggestion ? `; did you mean "${suggestion}"?` : ''}`;
    }
    case 'pattern':
      return `${where}: expected ${patternMeaning(segments)}, ${found}`;
    case 'maxLength':
      return `${where}: expected at most ${String(params.limit)} characters, ${found} (${lengthOf(value)} characters)`;
    case 'minLength':
      return `${where}: expected a non-empty string, ${found}`;
    case 'minItems':
      return `${where}: expected at least ${String(params.limit)} metric(s), found ${lengthOf(value)}`;
    case 'maxItems':
      return `${where}: expected at most ${String(params.limit)} metrics, found ${lengthOf(value)}`;
    case 'exclusiveMinimum':
      return `${where}: expected a number greater than ${String(params.limit)}, ${found}`;
    default:
      return `${where}: expected ${error.message ?? 'a valid value'}, ${found}`;
  }
}

function describeUnknownKey(key: string, keyPath: string, kind: ObjectKind | undefined): string {
  const known = kind ? KNOWN_KEYS[kind] : [];
  const allowed = known.length > 0 ? ` (allowed: ${known.join(', ')})` : '';
  const suggestion = closest(key, known);
  if (suggestion) return `${keyPath}: unknown key \`${key}\`; did you mean \`${suggestion}\`?${allowed}`;
  const home = HOME_OF_KEY[key];
  if (home && home !== keyPath) return `${keyPath}: unknown key \`${key}\`; it belongs at \`${home}\`${allowed}`;
  return `${keyPath}: unknown key \`${key}\`${allowed}`;
}

function objectKind(segments: (string | number)[]): ObjectKind | undefined {
  const p = segments.map((s) => (typeof s === 'number' ? '#' : s)).join('/');
  if (p === '') return 'root';
  if (p === 'storage') return 'storage';
  if (p === 'storage/s3') return 's3';
  if (p === 'metrics/#') return 'metric';
  return undefined;
}

function patternMeaning(segments: (string | number)[]): string {
  const last = segments[segments.length - 1];
  if (last === 'name') {
    return 'lowercase letters, digits and dashes, starting with a letter or digit (^[a-z0-9][a-z0-9-]*$)';
  }
  if (last === 'command') return 'a command with at least one non-space character';
  return 'a string matching the required pattern';
}

function findDuplicateNames(data: unknown): string[] {
  if (!isObject(data) || !Array.isArray(data.metrics)) return [];
  const firstIndex = new Map<string, number>();
  const problems: string[] = [];
  data.metrics.forEach((metric: unknown, index: number) => {
    if (!isObject(metric) || typeof metric.name !== 'string') return;
    const earlier = firstIndex.get(metric.name);
    if (earlier === undefined) {
      firstIndex.set(metric.name, index);
    } else {
      problems.push(
        `metrics[${index}].name: expected a unique metric name, found ${describeValue(metric.name)} ` +
          `which metrics[${earlier}] already uses; rename one of them`,
      );
    }
  });
  return problems;
}

// ---- small helpers ----

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

function walkKeys(value: unknown, path: (string | number)[], visit: (key: string, path: (string | number)[]) => void): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => walkKeys(item, [...path, i], visit));
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      visit(key, [...path, key]);
      walkKeys(child, [...path, key], visit);
    }
  }
}

function pointerToSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/** `metrics[2].name`; odd keys in brackets; the whole document is `(root)`. */
export function formatPath(segments: (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(root: unknown, segments: (string | number)[]): unknown {
  let current: unknown = root;
  for (const s of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[s];
  }
  return current;
}

/** JSON of a value, cut to a readable length, with anything credential-like masked. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value, (key, v: unknown) => (key !== '' && isCredentialKey(key) ? '***' : v));
  return json.length > MAX_FOUND_CHARS ? `${json.slice(0, MAX_FOUND_CHARS)}…` : json;
}

function keyList(value: unknown): string {
  if (!isObject(value)) return 'none';
  const keys = Object.keys(value);
  return keys.length === 0 ? 'none' : keys.join(', ');
}

function lengthOf(value: unknown): number {
  return typeof value === 'string' || Array.isArray(value) ? value.length : 0;
}

function article(type: string): string {
  if (type === 'object') return 'an object';
  if (type === 'array') return 'an array';
  if (type === 'integer') return 'an integer';
  return `a ${type}`;
}

/** The closest candidate within a small edit distance, or undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    const limit = candidate.length <= 4 ? 1 : 2;
    if (d <= limit && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Optimal string alignment distance: Levenshtein plus adjacent swaps ("tpye" is one edit from "type"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
