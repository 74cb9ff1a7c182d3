import { normalizeEndpoint } from '../../src/config/endpoint';
import { ActionError } from '../../src/errors';

function failure(raw: string): ActionError {
  try {
    normalizeEndpoint(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ActionError);
    return e as ActionError;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('normalizeEndpoint', () => {
  test.each([
    ['https://s3.example.com', 'https://s3.example.com'],
    ['https://s3.example.com/', 'https://s3.example.com'],
    ['https://s3.example.com///', 'https://s3.example.com'],
    ['  https://s3.example.com  ', 'https://s3.example.com'],
    ['http://minio.internal:9000/', 'http://minio.internal:9000'],
    ['HTTPS://S3.Example.com', 'https://s3.example.com'],
    ['s3.example.com', 'https://s3.example.com'],
    ['minio.internal:9000', 'https://minio.internal:9000'],
    ['acct.r2.cloudflarestorage.com/', 'https://acct.r2.cloudflarestorage.com'],
    ['localhost:9000', 'http://localhost:9000'],
    ['LOCALHOST:9000/', 'http://localhost:9000'],
    ['127.0.0.1:4568', 'http://127.0.0.1:4568'],
    ['[::1]:9000', 'http://[::1]:9000'],
    ['https://localhost:9000', 'https://localhost:9000'],
    ['https://gateway.example.com/s3/', 'https://gateway.example.com/s3'],
  ])('%j -> %j', (raw, expected) => {
    expect(normalizeEndpoint(raw)).toBe(expected);
  });

  test.each([
    ['https://user:hunter2pass@s3.example.com', 'hunter2pass'],
    ['user:hunter2pass@s3.example.com', 'hunter2pass'],
    ['http://AKIAEXAMPLE@localhost:9000', 'AKIAEXAMPLE'],
    // Secret keys often hold '/', which makes the URL unparsable: still never echoed.
    ['https://minio:s3cr/et+Key@minio.example.com', 's3cr/et+Key'],
    ['https://minio:wJal/rXU@tnFE@minio.example.com', 'rXU@tnFE'],
  ])('rejects user-info in %j without echoing it', (raw, secret) => {
    const e = failure(raw);
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.fullMessage).toMatch(/user name or password/);
    expect(e.fullMessage).not.toContain(secret);
  });

  test('does not echo a query string (may hold a signed token)', () => {
    const e = failure('https://s3.example.com/?X-Amz-Signature=abcdef123');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.fullMessage).not.toContain('abcdef123');
  });

  test.each(['', '   ', 'not a url', 'https://', 'http:///', 'https://host:99999', 'ftp://s3.example.com', 's3://bucket'])(
    'rejects garbage %j with a clear message',
    (raw) => {
      const e = failure(raw);
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.message).toMatch(/^Invalid S3 endpoint: it /);
      expect(e.hint).toBeTruthy();
    },
  );

  test('names the source in the message when given', () => {
    try {
      normalizeEndpoint('ftp://x', 'input `s3-endpoint`');
      throw new Error('not rejected');
    } catch (e) {
      expect((e as ActionError).message).toContain('input `s3-endpoint`');
      expect((e as ActionError).message).toContain('"ftp://"');
    }
  });
});
