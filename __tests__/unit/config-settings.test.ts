import * as os from 'os';
import * as path from 'path';
import { resolveSettings, type ResolveSettingsArgs } from '../../src/config/settings';
import type { UnentropyConfig } from '../../src/config/types';
import { ActionError } from '../../src/errors';

const WORKSPACE = path.join(os.tmpdir(), 'ws-settings');
const METRICS = [{ name: 'loc', type: 'numeric' as const, command: 'echo 1' }];

function resolve(over: Partial<ResolveSettingsArgs> = {}) {
  return resolveSettings({
    inputs: {},
    config: { metrics: METRICS },
    env: {},
    workspace: WORKSPACE,
    configFile: 'unentropy.json',
    ...over,
  });
}

function s3Config(s3: NonNullable<UnentropyConfig['storage']>['s3'] = {}): UnentropyConfig {
  return { storage: { type: 'sqlite-s3', s3: { bucket: 'cfg-bucket', ...s3 } }, metrics: METRICS };
}

function failure(over: Partial<ResolveSettingsArgs>): ActionError {
  try {
    resolve(over);
  } catch (e) {
    expect(e).toBeInstanceOf(ActionError);
    return e as ActionError;
  }
  throw new Error('expected resolveSettings to fail');
}

describe('resolveSettings defaults', () => {
  test('local mode', () => {
    const s = resolve();
    expect(s).toMatchObject({
      storageType: 'sqlite-local',
      workspace: WORKSPACE,
      configFile: path.join(WORKSPACE, 'unentropy.json'),
      databasePath: path.join(WORKSPACE, 'unentropy-metrics.db'),
      artifactName: 'unentropy-metrics',
      artifactUpload: false,
      reportDir: path.join(WORKSPACE, 'unentropy-report'),
      retryAttempts: 3,
      timeoutMs: 300_000,
      onCorruptDatabase: 'fail',
      verbose: false,
    });
    expect(s.s3).toEqual({
      endpoint: undefined,
      bucket: undefined,
      region: 'us-east-1',
      key: 'unentropy-metrics.db',
      accessKeyId: undefined,
      secretAccessKey: undefined,
      sessionToken: undefined,
      forcePathStyle: false,
    });
  });

  test('metrics come from the config, with the default timeout filled in', () => {
    const s = resolve({ config: { metrics: [...METRICS, { name: 'b', type: 'label', command: 'x', timeout: 5 }] } });
    expect(s.metrics.map((m) => [m.name, m.timeout])).toEqual([
      ['loc', 60],
      ['b', 5],
    ]);
  });

  test('empty inputs count as not given', () => {
    const inputs = { 'storage-type': '', 'retry-attempts': '', verbose: '  ', 'database-path': '' };
    expect(resolve({ inputs })).toMatchObject({ storageType: 'sqlite-local', retryAttempts: 3, verbose: false });
  });
});

describe('database path', () => {
  test('artifact mode: in the workspace', () => {
    expect(resolve({ inputs: { 'storage-type': 'sqlite-artifact' } }).databasePath).toBe(path.join(WORKSPACE, 'unentropy-metrics.db'));
  });
  test('s3 mode: under RUNNER_TEMP', () => {
    const s = resolve({ config: s3Config(), env: { RUNNER_TEMP: '/runner/tmp' } });
    expect(s.databasePath).toBe(path.join('/runner/tmp', 'unentropy-metrics.db'));
  });
  test('s3 mode without RUNNER_TEMP: os.tmpdir()', () => {
    expect(resolve({ config: s3Config() }).databasePath).toBe(path.join(os.tmpdir(), 'unentropy-metrics.db'));
  });
  test('input, relative to the workspace', () => {
    expect(resolve({ inputs: { 'database-path': 'data/m.db' } }).databasePath).toBe(path.join(WORKSPACE, 'data/m.db'));
  });
  test('input, absolute', () => {
    expect(resolve({ config: s3Config(), inputs: { 'database-path': '/abs/m.db' } }).databasePath).toBe('/abs/m.db');
  });
});

describe('S3 precedence: input > unentropy.json > environment > default', () => {
  const env = {
    AWS_REGION: 'env-region',
    AWS_DEFAULT_REGION: 'env-default-region',
    AWS_ENDPOINT_URL_S3: 'https://env-s3.example.com',
    AWS_ENDPOINT_URL: 'https://env.example.com',
  };

  test.each([
    ['input wins', { 's3-region': 'in-region' }, { region: 'cfg-region' }, env, 'in-region'],
    ['config over env', {}, { region: 'auto' }, env, 'auto'],
    ['AWS_REGION', {}, {}, env, 'env-region'],
    ['AWS_DEFAULT_REGION', {}, {}, { AWS_DEFAULT_REGION: 'env-default-region' }, 'env-default-region'],
    ['default', {}, {}, {}, 'us-east-1'],
  ])('region: %s', (_label, inputs, s3, e, expected) => {
    expect(resolve({ inputs, config: s3Config(s3), env: e }).s3.region).toBe(expected);
  });

  test.each([
    ['input wins', { 's3-endpoint': 'minio.local:9000/' }, { endpoint: 'https://cfg.example.com' }, env, 'https://minio.local:9000'],
    ['config over env', {}, { endpoint: 'localhost:4568' }, env, 'http://localhost:4568'],
    ['AWS_ENDPOINT_URL_S3', {}, {}, env, 'https://env-s3.example.com'],
    ['AWS_ENDPOINT_URL', {}, {}, { AWS_ENDPOINT_URL: 'https://env.example.com/' }, 'https://env.example.com'],
    ['none: AWS', {}, {}, {}, undefined],
  ])('endpoint: %s', (_label, inputs, s3, e, expected) => {
    expect(resolve({ inputs, config: s3Config(s3), env: e }).s3.endpoint).toBe(expected);
  });

  test('a bad endpoint names its source and does not echo credentials', () => {
    const e = failure({ inputs: { 's3-endpoint': 'https://me:pa55word@x.example.com' }, config: s3Config() });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('input `s3-endpoint`');
    expect(e.fullMessage).not.toContain('pa55word');
    const fromEnv = failure({ env: { AWS_ENDPOINT_URL: 'ftp://x' }, config: s3Config() });
    expect(fromEnv.message).toContain('AWS_ENDPOINT_URL');
  });

  test.each([
    ['input true', { 's3-force-path-style': 'TRUE' }, {}, {}, true],
    ['input false beats endpoint', { 's3-force-path-style': 'false' }, { endpoint: 'https://e.example.com' }, {}, false],
    ['config', {}, { forcePathStyle: true }, {}, true],
    ['config false beats endpoint', {}, { forcePathStyle: false, endpoint: 'https://e.example.com' }, {}, false],
    ['endpoint from config', {}, { endpoint: 'https://e.example.com' }, {}, true],
    ['endpoint from env', {}, {}, { AWS_ENDPOINT_URL: 'https://e.example.com' }, true],
    ['no endpoint', {}, {}, {}, false],
  ])('forcePathStyle: %s', (_label, inputs, s3, e, expected) => {
    expect(resolve({ inputs, config: s3Config(s3), env: e }).s3.forcePathStyle).toBe(expected);
  });

  test.each([
    ['input wins', { 'database-key': 'in/key.db' }, { key: 'cfg/key.db' }, 'in/key.db'],
    ['config', {}, { key: 'team/app.db' }, 'team/app.db'],
    ['default', {}, {}, 'unentropy-metrics.db'],
  ])('key: %s', (_label, inputs, s3, expected) => {
    expect(resolve({ inputs, config: s3Config(s3) }).s3.key).toBe(expected);
  });

  test('bucket: input wins over config', () => {
    expect(resolve({ inputs: { 's3-bucket': 'in-bucket' }, config: s3Config() }).s3.bucket).toBe('in-bucket');
    expect(resolve({ config: s3Config() }).s3.bucket).toBe('cfg-bucket');
  });

  test('missing bucket in s3 mode is S3_CONFIG_MISSING with a workflow example', () => {
    const e = failure({ inputs: { 'storage-type': 'sqlite-s3' } });
    expect(e.code).toBe('S3_CONFIG_MISSING');
    expect(e.hint).toContain('`s3-bucket` input');
    expect(e.hint).toContain('`storage.s3.bucket`');
    expect(e.hint).toMatch(/with:\n\s+storage-type: sqlite-s3\n\s+s3-bucket: /);
  });

  test('missing bucket is fine outside s3 mode', () => {
    expect(resolve({ inputs: { 'storage-type': 'sqlite-artifact' } }).s3.bucket).toBeUndefined();
  });

  test('credentials only from inputs; environment left to the SDK chain', () => {
    const withInputs = resolve({
      config: s3Config(),
      inputs: { 's3-access-key-id': 'AKIDIN', 's3-secret-access-key': 'SECRETIN', 's3-session-token': 'TOKENIN' },
      env: { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'SECRETENV' },
    });
    expect(withInputs.s3).toMatchObject({ accessKeyId: 'AKIDIN', secretAccessKey: 'SECRETIN', sessionToken: 'TOKENIN' });
    const fromEnv = resolve({ config: s3Config(), env: { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'SECRETENV' } });
    expect(fromEnv.s3.accessKeyId).toBeUndefined();
    expect(fromEnv.s3.secretAccessKey).toBeUndefined();
    expect(fromEnv.s3.sessionToken).toBeUndefined();
  });
});

describe('other inputs', () => {
  test('parsed values', () => {
    const s = resolve({
      inputs: {
        'artifact-name': 'my-metrics',
        'artifact-upload': 'True',
        'report-dir': 'out/report',
        'retry-attempts': '0',
        timeout: '1.5',
        'on-corrupt-database': 'recreate',
        verbose: 'TRUE',
        'config-file': 'ignored-here.json',
      },
      configFile: 'ci/unentropy.json',
    });
    expect(s).toMatchObject({
      artifactName: 'my-metrics',
      artifactUpload: true,
      reportDir: path.join(WORKSPACE, 'out/report'),
      retryAttempts: 0,
      timeoutMs: 1500,
      onCorruptDatabase: 'recreate',
      verbose: true,
      configFile: path.join(WORKSPACE, 'ci/unentropy.json'),
    });
    expect(resolve({ inputs: { 'retry-attempts': '10' } }).retryAttempts).toBe(10);
  });

  test.each([
    ['verbose', 'yes', /`verbose`: expected true or false, found "yes"/],
    ['artifact-upload', '1', /`artifact-upload`: expected true or false, found "1"/],
    ['s3-force-path-style', 'on', /`s3-force-path-style`: expected true or false/],
    ['retry-attempts', '11', /`retry-attempts`: expected a whole number from 0 to 10, found "11"/],
    ['retry-attempts', '-1', /`retry-attempts`/],
    ['retry-attempts', '2.5', /`retry-attempts`/],
    ['retry-attempts', 'three', /`retry-attempts`/],
    ['timeout', '0', /`timeout`: expected a positive number of seconds, found "0"/],
    ['timeout', '-5', /`timeout`/],
    ['timeout', '5m', /`timeout`/],
    ['on-corrupt-database', 'ignore', /`on-corrupt-database`: expected one of fail, recreate, found "ignore"/],
    ['artifact-name', 'a/b', /`artifact-name`/],
  ])('%s=%j is CONFIG_INVALID', (name, value, pattern) => {
    const e = failure({ inputs: { [name]: value } });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toMatch(pattern);
  });
});

describe('database-path must not be the config file', () => {
  test.each(['unentropy.json', './unentropy.json', path.join(WORKSPACE, 'unentropy.json')])('%j is CONFIG_INVALID', (p) => {
    const e = failure({ inputs: { 'database-path': p } });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('configuration file itself');
  });

  test('a different file is fine', () => {
    expect(resolve({ inputs: { 'database-path': 'data/metrics.db' } }).databasePath).toBe(path.join(WORKSPACE, 'data', 'metrics.db'));
  });
});
