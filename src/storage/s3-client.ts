import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Settings } from '../config/types';
import { ActionError } from '../errors';

export interface S3ClientOptions {
  /** longest a single request may take, and longest a socket may sit idle, ms */
  requestTimeoutMs: number;
  /** longest to wait for a TCP/TLS connection, ms (default 10 s) */
  connectTimeoutMs?: number;
}

const CREDENTIALS_EXAMPLE = [
  '  with:',
  '    storage-type: sqlite-s3',
  '    s3-access-key-id: ${{ secrets.S3_ACCESS_KEY_ID }}',
  '    s3-secret-access-key: ${{ secrets.S3_SECRET_ACCESS_KEY }}',
].join('\n');

/**
 * An S3 client for AWS and S3-compatible services. Retries are off here: one outer layer
 * (withRetry) owns them, so attempts and back-off are counted once.
 */
export function createS3Client(s3: S3Settings, opts: S3ClientOptions): S3Client {
  // The SDK warns on Node < 22 about its own future releases: a note for us, not something a
  // workflow author can act on (the runner picks the Node version), so keep it out of their log.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const hasKeyId = Boolean(s3.accessKeyId);
  const hasSecret = Boolean(s3.secretAccessKey);
  if (hasKeyId !== hasSecret) {
    const given = hasKeyId ? 's3-access-key-id' : 's3-secret-access-key';
    const missing = hasKeyId ? 's3-secret-access-key' : 's3-access-key-id';
    throw new ActionError('S3_CONFIG_MISSING', `S3 credentials are incomplete: ${given} is set but ${missing} is empty.`, {
      hint: `Set both inputs from secrets, or neither to use the AWS credential chain:\n${CREDENTIALS_EXAMPLE}`,
    });
  }

  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials:
      hasKeyId && hasSecret
        ? { accessKeyId: s3.accessKeyId!, secretAccessKey: s3.secretAccessKey!, sessionToken: s3.sessionToken || undefined }
        : undefined,
    // R2, B2 and others reject the flexible-checksum headers newer SDKs send by default.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    // Failures reach the user through mapS3Error; the SDK's own console warnings would only add noise.
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    requestHandler: new NodeHttpHandler({
      connectionTimeout: opts.connectTimeoutMs ?? 10_000,
      requestTimeout: opts.requestTimeoutMs,
      // Without this a request over its timeout only logs a warning and keeps waiting.
      throwOnRequestTimeout: true,
      socketTimeout: opts.requestTimeoutMs,
    }),
  });
}

/**
 * Makes sure the client has credentials before any request, so "no credentials" is reported
 * as a settings problem rather than as a cryptic signing or network failure.
 */
export async function resolveCredentialsOrFail(client: S3Client): Promise<void> {
  try {
    const creds = await client.config.credentials();
    if (creds?.accessKeyId && creds.secretAccessKey) return;
  } catch (err) {
    throw noCredentials(err);
  }
  throw noCredentials(undefined);
}

function noCredentials(cause: unknown): ActionError {
  return new ActionError(
    'S3_CONFIG_MISSING',
    'No S3 credentials: the s3-access-key-id and s3-secret-access-key inputs are empty and the AWS credential chain found none ' +
      '(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, web identity or instance role).',
    {
      hint:
        'Pass the keys from repository secrets, or run aws-actions/configure-aws-credentials before this step:\n' +
        CREDENTIALS_EXAMPLE,
      cause,
    },
  );
}
