import { ActionError, type ErrorCode } from '../errors';
import { systemErrorCode } from './retry';

/** What was being done when S3 failed; everything here may appear in the message. */
export interface S3ErrorContext {
  /** SDK command or step, e.g. "GetObject" */
  operation: string;
  bucket: string;
  key: string;
  region: string;
  /** normalised endpoint; only its host is ever echoed. undefined = AWS */
  endpoint?: string;
  /** values that must never reach a message (secret key, session token); scrubbed if echoed */
  secrets?: Array<string | undefined>;
}

interface SdkLikeError {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  Region?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

const AUTH_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidToken',
  'InvalidSecurity',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
  'Unauthorized',
]);
const DENIED_CODES = new Set(['AccessDenied', 'AllAccessDisabled', 'Forbidden', 'AccountProblem']);
const REDIRECT_CODES = new Set(['PermanentRedirect', 'Redirect', 'TemporaryRedirect', 'MovedPermanently']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'TruncatedBodyError']);

const MINIMAL_POLICY_HINT = (bucket: string, key: string): string =>
  `Grant these credentials s3:GetObject and s3:PutObject on arn:aws:s3:::${bucket}/${key}* (the * covers the .corrupt-<time> copies) and s3:ListBucket on arn:aws:s3:::${bucket}. ` +
  'Without s3:ListBucket, S3 answers 403 Access Denied (not 404) for a key that does not exist yet, so even the first run needs it.';

/**
 * Turns an S3 SDK (or network) failure into an ActionError that says what to do.
 * Messages name the bucket, key, region and endpoint host, never credentials, user-info or
 * query strings (pre-signed tokens live there).
 */
export function mapS3Error(err: unknown, ctx: S3ErrorContext): ActionError {
  if (err instanceof ActionError) return scrub(err, ctx);
  const e = (err && typeof err === 'object' ? err : { message: String(err) }) as SdkLikeError;
  const name = e.Code ?? e.name ?? '';
  const code = systemErrorCode(err) ?? '';
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const where = `s3://${ctx.bucket}/${ctx.key}`;
  const host = endpointHost(ctx.endpoint, ctx.region);
  const detail = describe(e, status);
  const make = (c: ErrorCode, message: string, hint: string): ActionError =>
    scrub(new ActionError(c, message, { hint, cause: err }), ctx);

  if (name === 'AbortError' || code === 'ABORT_ERR') {
    return make(
      'TIMEOUT',
      `S3 ${ctx.operation} of ${where} was stopped: the storage timeout expired or the run was cancelled.`,
      'Raise the timeout input (seconds for the storage phases together) if the database is large or the link slow.',
    );
  }

  // Wrong region: S3 says where the bucket really lives. Reported as a settings problem
  // (S3_CONFIG_MISSING) because the fix is one setting, not the network or the bucket.
  const actualRegion = bucketRegionOf(e);
  if (
    REDIRECT_CODES.has(name) ||
    status === 301 ||
    (actualRegion !== undefined && actualRegion !== ctx.region && (status === 400 || status === 403 || name === 'AuthorizationHeaderMalformed' || name === 'IllegalLocationConstraintException'))
  ) {
    const region = actualRegion ?? 'another region';
    return make(
      'S3_CONFIG_MISSING',
      `Bucket ${ctx.bucket} is in region ${region}, not ${ctx.region} (S3 ${ctx.operation} of ${where} at ${host} answered ${detail}).`,
      actualRegion
        ? `Set s3-region: ${actualRegion} (or storage.s3.region in unentropy.json).`
        : 'Set s3-region (or storage.s3.region in unentropy.json) to the region the bucket was created in.',
    );
  }

  if (AUTH_CODES.has(name) || status === 401) {
    return make(
      'S3_AUTH_FAILED',
      `S3 rejected the credentials for ${ctx.operation} of ${where} at ${host}: ${detail}.`,
      'Check the s3-access-key-id and s3-secret-access-key inputs (and s3-session-token for temporary credentials): ' +
        'the key must exist for this endpoint/account and be active, and temporary credentials must not have expired ' +
        '(refresh them with aws-actions/configure-aws-credentials before this step).',
    );
  }

  if (name === 'NoSuchBucket' || (ctx.operation === 'HeadBucket' && (status === 404 || name === 'NotFound'))) {
    return make(
      'S3_BUCKET_NOT_FOUND',
      `Bucket ${ctx.bucket} does not exist at ${host} (S3 ${ctx.operation} answered ${detail}).`,
      `Create the bucket ${ctx.bucket} (track-metrics never creates buckets), or fix s3-bucket / storage.s3.bucket and s3-endpoint.`,
    );
  }

  if (DENIED_CODES.has(name) || status === 403) {
    return make(
      'S3_ACCESS_DENIED',
      `Access denied for S3 ${ctx.operation} of ${where} at ${host}: ${detail}.`,
      MINIMAL_POLICY_HINT(ctx.bucket, ctx.key),
    );
  }

  if (name === 'TruncatedBodyError') {
    return make(
      'S3_NETWORK',
      `The connection to S3 at ${host} kept dropping during ${ctx.operation} of ${where}: ${detail}.`,
      'Re-run the job; if it keeps happening, check for a proxy or firewall that cuts long transfers, or raise retry-attempts.',
    );
  }

  if (NETWORK_CODES.has(code) || NETWORK_NAMES.has(name) || (status === undefined && /^E[A-Z_]+$/.test(code))) {
    return make(
      'S3_NETWORK',
      `Could not reach S3 at ${host} for ${ctx.operation} of ${where}: ${detail}.`,
      'Check s3-endpoint, that the runner can reach that host (DNS, firewall, proxy, TLS) and that the service is up. ' +
        'Transient failures are retried retry-attempts times.',
    );
  }

  if (status !== undefined && name !== 'NotImplemented' && ((status >= 500 && status !== 501) || status === 429 || name === 'SlowDown')) {
    return make(
      'S3_NETWORK',
      `S3 at ${host} kept failing ${ctx.operation} of ${where}: ${detail}.`,
      'The storage service reported a temporary problem; re-run the job later, or raise retry-attempts.',
    );
  }

  return make(
    'INTERNAL',
    `S3 ${ctx.operation} of ${where} at ${host} failed unexpectedly: ${detail}.`,
    'If the endpoint is not AWS, check it implements this S3 operation; otherwise report this with the log (verbose: true).',
  );
}

/** The host (and port) an error may name; "AWS S3 (region)" when no endpoint is set. */
export function endpointHost(endpoint: string | undefined, region: string): string {
  if (!endpoint) return `AWS S3 (${region})`;
  try {
    return new URL(endpoint).host;
  } catch {
    return redactUrls(endpoint);
  }
}

/** Drops user-info, query strings and fragments from every URL in free text. */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#'"<>]*@)?([^\s/?#'"<>]*)([^\s?#'"<>]*)(\?[^\s#'"<>]*)?(#[^\s'"<>]*)?/gi, (_m, scheme: string, _userInfo, host: string, path: string) => `${scheme}${host}${path}`);
}

/** Replaces every occurrence of the given secret values with "***". */
export function redactSecrets(text: string, secrets: Array<string | undefined> = []): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('***');
  }
  return out;
}

function bucketRegionOf(e: SdkLikeError): string | undefined {
  const headers = e.$response?.headers ?? {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === 'x-amz-bucket-region' && v) return v;
  }
  if (typeof e.Region === 'string' && e.Region) return e.Region;
  // AuthorizationHeaderMalformed: "the region 'us-east-1' is wrong; expecting 'eu-west-1'"
  const m = /expecting '([a-z0-9-]+)'/.exec(e.message ?? '');
  return m?.[1];
}

function describe(e: SdkLikeError, status: number | undefined): string {
  const parts: string[] = [];
  if (status !== undefined) parts.push(`HTTP ${status}`);
  const label = e.Code ?? e.code ?? e.name;
  if (label && label !== 'Error' && !/^\d+$/.test(label)) parts.push(label);
  // A trailing period would double up with the sentence the message is embedded in.
  let message = (e.message ?? '').replace(/^AWS SDK error wrapper for (Error: )?/, '').trim().replace(/\.+$/, '');
  // The SDK's placeholder for bodiless (HEAD) errors says nothing useful.
  if (message === 'UnknownError' || message === label) message = '';
  const head = parts.join(' ');
  if (!message) return head || 'unknown error';
  const text = truncate(redactUrls(message), 300);
  return head ? `${head}: ${text}` : text;
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

function scrub(err: ActionError, ctx: S3ErrorContext): ActionError {
  const secrets = ctx.secrets ?? [];
  const message = redactSecrets(redactUrls(err.message), secrets);
  const hint = err.hint === undefined ? undefined : redactSecrets(redactUrls(err.hint), secrets);
  if (message === err.message && hint === err.hint) return err;
  const copy = new ActionError(err.code, message, { hint, cause: (err as { cause?: unknown }).cause });
  return copy;
}
