import { ActionError, type ErrorCode } from '../../src/errors';
import { endpointHost, mapS3Error, redactSecrets, redactUrls, type S3ErrorContext } from '../../src/storage/s3-errors';

const ctx: S3ErrorContext = {
  operation: 'GetObject',
  bucket: 'team-metrics',
  key: 'app/metrics.db',
  region: 'us-east-1',
  endpoint: 'https://s3.example.com:9000/base',
};

/** Shaped like the SDK's S3ServiceException / Node system errors. */
function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  const e = new Error(String(extra.message ?? `${name} happened`)) as Error & Record<string, unknown>;
  e.name = name;
  if (status !== undefined) e.$metadata = { httpStatusCode: status };
  Object.assign(e, extra);
  return e;
}

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

const table: Array<[string, unknown, ErrorCode, S3ErrorContext]> = [
  ['InvalidAccessKeyId', sdkError('InvalidAccessKeyId', 403), 'S3_AUTH_FAILED', ctx],
  ['SignatureDoesNotMatch', sdkError('SignatureDoesNotMatch', 403), 'S3_AUTH_FAILED', ctx],
  ['ExpiredToken', sdkError('ExpiredToken', 400), 'S3_AUTH_FAILED', ctx],
  ['bare 401', sdkError('Unknown', 401), 'S3_AUTH_FAILED', ctx],
  ['AccessDenied', sdkError('AccessDenied', 403), 'S3_ACCESS_DENIED', ctx],
  ['bodiless 403 (HEAD)', sdkError('Forbidden', 403, { message: 'UnknownError' }), 'S3_ACCESS_DENIED', ctx],
  ['NoSuchBucket', sdkError('NoSuchBucket', 404), 'S3_BUCKET_NOT_FOUND', ctx],
  ['HeadBucket NotFound', sdkError('NotFound', 404), 'S3_BUCKET_NOT_FOUND', { ...ctx, operation: 'HeadBucket' }],
  ['PermanentRedirect', sdkError('PermanentRedirect', 301, { $response: { headers: { 'x-amz-bucket-region': 'eu-west-1' } } }), 'S3_CONFIG_MISSING', ctx],
  ['ECONNREFUSED', systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:9000'), 'S3_NETWORK', ctx],
  ['ENOTFOUND', systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND s3.example.com'), 'S3_NETWORK', ctx],
  ['TimeoutError', sdkError('TimeoutError', undefined, { code: 'ETIMEDOUT' }), 'S3_NETWORK', ctx],
  ['SDK-wrapped ECONNRESET', new Error('AWS SDK error wrapper for Error: read ECONNRESET'), 'S3_NETWORK', ctx],
  ['503 SlowDown', sdkError('SlowDown', 503), 'S3_NETWORK', ctx],
  ['500 InternalError', sdkError('InternalError', 500), 'S3_NETWORK', ctx],
  ['AbortError', sdkError('AbortError'), 'TIMEOUT', ctx],
  ['NotImplemented', sdkError('NotImplemented', 501), 'INTERNAL', ctx],
];

test.each(table)('%s maps to its error code', (_label, err, code, context) => {
  const mapped = mapS3Error(err, context);
  expect(mapped).toBeInstanceOf(ActionError);
  expect(mapped.code).toBe(code);
  expect(mapped.message).toContain('team-metrics');
  expect(mapped.hint).toBeTruthy();
});

test('a wrong region names the real one and the setting to change', () => {
  const err = sdkError('PermanentRedirect', 301, { $response: { headers: { 'x-amz-bucket-region': 'eu-west-1' } } });
  const mapped = mapS3Error(err, ctx);
  expect(mapped.message).toContain('Bucket team-metrics is in region eu-west-1, not us-east-1');
  expect(mapped.hint).toContain('s3-region: eu-west-1');

  const malformed = sdkError('AuthorizationHeaderMalformed', 400, {
    message: "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'ap-south-1'",
  });
  expect(mapS3Error(malformed, ctx).hint).toContain('s3-region: ap-south-1');
});

test('access denied explains the minimal policy and the 403-for-missing-key rule', () => {
  const mapped = mapS3Error(sdkError('AccessDenied', 403), ctx);
  expect(mapped.hint).toContain('s3:GetObject');
  expect(mapped.hint).toContain('s3:PutObject');
  expect(mapped.hint).toContain('s3:ListBucket');
  expect(mapped.hint).toContain('arn:aws:s3:::team-metrics/app/metrics.db');
});

test('network errors name the endpoint host only, never user-info, path or query', () => {
  const context = { ...ctx, endpoint: 'https://s3.example.com:9000/base' };
  const err = systemError('ECONNREFUSED', 'request to https://user:pa55word@s3.example.com:9000/x?X-Amz-Signature=abc123 failed');
  const mapped = mapS3Error(err, context);
  expect(mapped.message).toContain('s3.example.com:9000');
  expect(mapped.fullMessage).not.toContain('pa55word');
  expect(mapped.fullMessage).not.toContain('abc123');
  expect(mapped.fullMessage).not.toContain('user:');
});

test('secret values echoed by a server are scrubbed', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const err = sdkError('SignatureDoesNotMatch', 403, { message: `calculated with ${secret}` });
  const mapped = mapS3Error(err, { ...ctx, secrets: [secret, undefined] });
  expect(mapped.code).toBe('S3_AUTH_FAILED');
  expect(mapped.fullMessage).not.toContain(secret);
  expect(mapped.message).toContain('***');
});

test('ActionErrors pass through unchanged in code', () => {
  const original = new ActionError('CONCURRENT_UPDATE', 'someone else wrote it');
  expect(mapS3Error(original, ctx).code).toBe('CONCURRENT_UPDATE');
});

test('helpers', () => {
  expect(redactUrls('see https://u:p@host.example/a/b?token=1#frag and http://x.y')).toBe('see https://host.example/a/b and http://x.y');
  expect(redactSecrets('a SECRETVALUE b', ['SECRETVALUE'])).toBe('a *** b');
  expect(endpointHost(undefined, 'eu-central-1')).toBe('AWS S3 (eu-central-1)');
  expect(endpointHost('http://127.0.0.1:4568', 'us-east-1')).toBe('127.0.0.1:4568');
});
