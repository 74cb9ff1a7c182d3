import { ActionError } from '../errors';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * Turns what users type as an S3 endpoint into a URL the SDK accepts:
 * adds a scheme when missing (http only for loopback, where local MinIO/s3rver
 * usually runs without TLS) and drops trailing slashes.
 * `source` names where the value came from, for the error message.
 */
export function normalizeEndpoint(raw: string, source = 'S3 endpoint'): string {
  const value = raw.trim();
  if (value === '') {
    throw invalid(source, 'is empty', 'Set it to a URL such as https://s3.example.com, or remove it to use AWS S3.');
  }

  let candidate = value;
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    candidate = `${isLoopback(value) ? 'http' : 'https'}://${value}`;
  } else if (scheme !== 'http' && scheme !== 'https') {
    throw invalid(
      source,
      `uses the scheme "${scheme}://"; expected http:// or https://`,
      'Give the HTTP(S) URL of the S3 API, e.g. https://<account>.r2.cloudflarestorage.com.',
    );
  }

  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    if (value.includes('@')) {
      throw invalid(
        source,
        `is not a valid URL and seems to contain a user name or password before the host (found ${quote(redactUserInfo(value))})`,
        'Remove them from the URL and pass credentials with the s3-access-key-id and s3-secret-access-key inputs (from secrets).',
      );
    }
    throw invalid(
      source,
      `is not a valid URL: found ${quote(redactUserInfo(value))}`,
      'Expected a URL such as https://s3.example.com or minio.internal:9000.',
    );
  }

  // The password would otherwise travel in logs and outputs; credentials belong in inputs.
  if (url.username !== '' || url.password !== '') {
    throw invalid(
      source,
      `contains a user name or password before the host (found ${quote(`${url.protocol}//***@${url.host}`)})`,
      'Remove them from the URL and pass credentials with the s3-access-key-id and s3-secret-access-key inputs (from secrets).',
    );
  }
  if (url.hostname === '') {
    throw invalid(source, `has no host: found ${quote(value)}`, 'Expected a URL such as https://s3.example.com.');
  }
  if (url.search !== '' || url.hash !== '') {
    // Not echoed: query strings are where signed tokens tend to live.
    throw invalid(source, 'must not contain a query string or fragment', 'Use only scheme, host, optional port and path.');
  }

  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

function isLoopback(schemeless: string): boolean {
  const host = schemeless.replace(/^[^@/]*@/, '');
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(/[:/]/)[0];
  return LOOPBACK_HOSTS.has(name.toLowerCase());
}

function redactUserInfo(value: string): string {
  // Up to the LAST @: a password may itself hold '/', '#', '?' or '@' (AWS-style secret keys often do).
  return value.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?)[\s\S]*@/i, '$1***@');
}

function quote(value: string): string {
  const bounded = value.length > 100 ? `${value.slice(0, 100)}…` : value;
  return JSON.stringify(bounded);
}

function invalid(source: string, problem: string, hint: string): ActionError {
  return new ActionError('CONFIG_INVALID', `Invalid ${source}: it ${problem}.`, { hint });
}
