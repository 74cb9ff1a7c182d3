import { closest, findConfigProblems, formatPath, validateConfig } from '../../src/config/validate-config';
import { ActionError } from '../../src/errors';

const metric = (extra: Record<string, unknown> = {}) => ({ name: 'loc', type: 'numeric', command: 'echo 1', ...extra });

function validationError(data: unknown, file = 'unentropy.json'): ActionError {
  try {
    validateConfig(data, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ActionError);
    expect((e as ActionError).code).toBe('CONFIG_INVALID');
    return e as ActionError;
  }
  throw new Error('expected validation to fail');
}

describe('validateConfig', () => {
  test('returns a valid config unchanged', () => {
    const config = { $schema: './unentropy.schema.json', metrics: [metric({ unit: 'ms', timeout: 1.5 })] };
    expect(validateConfig(config, 'unentropy.json')).toBe(config);
  });

  test('formats errors as <file>: <path>: expected ..., found <json>', () => {
    const e = validationError({ metrics: [metric(), metric({ name: 'x' }), metric({ name: 'Bad_Name' })] }, 'ci/u.json');
    expect(e.message).toContain(
      'ci/u.json: metrics[2].name: expected lowercase letters, digits and dashes, starting with a letter or digit (^[a-z0-9][a-z0-9-]*$), found "Bad_Name"',
    );
  });

  test.each([
    [{ metrics: [metric({ timeout: 0 })] }, 'metrics[0].timeout: expected a number greater than 0, found 0'],
    [{ metrics: [metric({ timeout: '30' })] }, 'metrics[0].timeout: expected a number, found "30"'],
    [{ metrics: [metric({ type: 'number' })] }, 'metrics[0].type: expected one of "numeric", "label", found "number"'],
    [{ metrics: [metric({ command: '   ' })] }, 'metrics[0].command: expected a command with at least one non-space character, found "   "'],
    [{ metrics: [{ name: 'a', type: 'label' }] }, 'metrics[0]: expected key `command`, found it missing (keys: name, type)'],
    [{ metrics: 'loc' }, 'metrics: expected an array, found "loc"'],
    [{ metrics: [metric()], storage: { s3: { forcePathStyle: 'yes' } } }, 'storage.s3.forcePathStyle: expected a boolean, found "yes"'],
    [[metric()], '(root): expected an object, found [{"name":"loc"'],
  ])('%j', (data, expected) => {
    expect(validationError(data).message).toContain(`unentropy.json: ${expected}`);
  });

  test('bounds the found value', () => {
    const e = validationError({ metrics: [metric({ description: 'd'.repeat(5000) })] });
    expect(e.message).toContain('expected at most 256 characters');
    expect(e.message).toContain('(5000 characters)');
    expect(e.message.length).toBeLessThan(500);
  });

  test('lists several errors, at most 10, and counts the rest', () => {
    const metrics = Array.from({ length: 15 }, (_, i) => metric({ name: `m${i}`, unit: 'x'.repeat(11) }));
    const e = validationError({ metrics });
    const listed = e.message.split('\n').filter((l) => l.startsWith('  - unentropy.json: '));
    expect(listed).toHaveLength(10);
    expect(e.message).toContain('(15 problems)');
    expect(e.message).toContain('…and 5 more');
  });

  test.each([
    [{ metrics: [metric({ comand: 'x', command: undefined })] }, 'metrics[0].comand: unknown key `comand`; did you mean `command`?'],
    [{ metric: [metric()] }, 'metric: unknown key `metric`; did you mean `metrics`?'],
    [{ metrics: [metric()], storag: {} }, 'storag: unknown key `storag`; did you mean `storage`?'],
    [{ metrics: [metric()], storage: { tpye: 'sqlite-s3' } }, 'storage.tpye: unknown key `tpye`; did you mean `type`?'],
    [{ metrics: [metric()], storage: { s3: { forcepathstyle: true } } }, 'did you mean `forcePathStyle`?'],
    [{ metrics: [metric({ descripton: 'x' })] }, 'did you mean `description`?'],
  ])('unknown key with a suggestion: %j', (data, expected) => {
    const e = validationError(JSON.parse(JSON.stringify(data)));
    expect(e.message).toContain(expected);
  });

  test('a misspelt required key is reported once, as unknown', () => {
    const problems = findConfigProblems({ metrics: [{ name: 'a', type: 'label', comand: 'x' }] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('did you mean `command`?');
  });

  test('unknown key without a close match lists the allowed keys', () => {
    const e = validationError({ metrics: [metric({ colour: 'red' })] });
    expect(e.message).toContain('metrics[0].colour: unknown key `colour` (allowed: name, type, command, unit, description, timeout)');
    expect(e.message).not.toContain('did you mean');
  });

  test('a key at the wrong level says where it belongs', () => {
    const e = validationError({ metrics: [metric()], storage: { type: 'sqlite-s3', bucket: 'b' } });
    expect(e.message).toContain('storage.bucket: unknown key `bucket`; it belongs at `storage.s3.bucket`');
  });

  test('an unknown storage type lists the valid ones', () => {
    const e = validationError({ metrics: [metric()], storage: { type: 's3' } });
    expect(e.message).toContain('storage.type: expected one of "sqlite-s3", "sqlite-artifact", "sqlite-local", found "s3"');
  });

  test('duplicate metric names name both indexes', () => {
    const e = validationError({ metrics: [metric({ name: 'a' }), metric({ name: 'b' }), metric({ name: 'a' })] });
    expect(e.message).toContain('metrics[2].name: expected a unique metric name, found "a" which metrics[0] already uses');
  });

  describe('credentials', () => {
    const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    test.each([
      [{ storage: { s3: { secretAccessKey: SECRET } } }, 'storage.s3.secretAccessKey'],
      [{ storage: { s3: { accessKeyId: SECRET } } }, 'storage.s3.accessKeyId'],
      [{ storage: { s3: { sessionToken: SECRET } } }, 'storage.s3.sessionToken'],
      [{ storage: { password: SECRET } }, 'storage.password'],
      [{ storage: { s3: { secret: SECRET } } }, 'storage.s3.secret'],
      [{ storage: { s3: { secret_access_key: { nested: SECRET } } } }, 'storage.s3.secret_access_key'],
      [{ storage: { s3: { 'aws-access-key-id': SECRET } } }, 'storage.s3["aws-access-key-id"]'],
    ])('%j is rejected without echoing the value', (extra, where) => {
      const e = validationError({ metrics: [metric()], ...extra });
      expect(e.message).toContain(`unentropy.json: ${where}: credentials are not accepted in the config file`);
      expect(e.message).toMatch(/action inputs from secrets/);
      expect(e.message).toMatch(/environment/);
      expect(e.fullMessage).not.toContain(SECRET);
      expect(e.fullMessage).not.toContain('EXAMPLEKEY');
    });

    test('values are masked even when a parent object is quoted', () => {
      const e = validationError({ metrics: [{ name: 'a', type: 'label', password: SECRET }] });
      expect(e.message).toContain('metrics[0].password: credentials are not accepted');
      expect(e.message).toContain('expected key `command`');
      expect(e.fullMessage).not.toContain('EXAMPLEKEY');
    });
  });
});

describe('helpers', () => {
  test('formatPath', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['metrics', 2, 'name'])).toBe('metrics[2].name');
    expect(formatPath(['storage', 's3', 'a-b'])).toBe('storage.s3["a-b"]');
    expect(formatPath(['$schema'])).toBe('$schema');
  });

  test('closest suggests only near misses', () => {
    expect(closest('comand', ['name', 'command'])).toBe('command');
    expect(closest('metric', ['storage', 'metrics'])).toBe('metrics');
    expect(closest('region', ['endpoint', 'bucket', 'region'])).toBe('region');
    expect(closest('zzz', ['name', 'type'])).toBeUndefined();
    expect(closest('key', ['type', 's3'])).toBeUndefined();
    expect(closest('nme', ['name'])).toBe('name');
  });
});
