import pRetry = require('p-retry');

/**
 * Retries transient storage failures (5xx, throttling, timeouts, dropped connections).
 * Anything else (auth, permission, not-found, our own ActionErrors) fails on the first try:
 * repeating those only delays the message the user needs.
 */

export interface RetryOptions {
  /** retries after the first try (the `retry-attempts` input); 0 = try once */
  attempts: number;
  log?: (line: string) => void;
  /** stops retrying (and rejects with the last error) once aborted */
  signal?: AbortSignal;
  /** what is being retried, for the log line */
  what?: string;
  /** first back-off delay, ms (default 1000); tests shorten it */
  minTimeoutMs?: number;
  /** longest back-off delay, ms (default 10000) */
  maxTimeoutMs?: number;
  /** override of the transient test */
  isTransient?: (err: unknown) => boolean;
}

const TRANSIENT_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestTimeout',
  'RequestTimeoutException',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  'IncompleteBody',
  'TruncatedBodyError',
]);

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Marks an error as worth another try (e.g. a body shorter than its Content-Length). */
export class TransientError extends Error {
  readonly transient = true;
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The Node system error code (ECONNREFUSED, ...) of an error, also when the SDK re-wrapped it
 * and kept only the text (it does so for errors from another realm, e.g. under jest).
 */
export function systemErrorCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && e.code) return e.code;
  if (e.cause && e.cause !== err) {
    const inner = systemErrorCode(e.cause);
    if (inner) return inner;
  }
  const m = typeof e.message === 'string' ? /\b(E[A-Z]{2,}(?:_[A-Z]+)*|UND_ERR_[A-Z_]+)\b/.exec(e.message) : null;
  return m?.[1];
}

export function isTransientError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as {
    name?: string;
    code?: string;
    Code?: string;
    transient?: boolean;
    $metadata?: { httpStatusCode?: number };
    $retryable?: { throttling?: boolean };
  };
  if (e.name === 'AbortError' || e.name === 'ActionError') return false;
  if (e.transient === true || e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  // 501 NotImplemented is a missing feature of the endpoint, not a passing fault.
  if (status !== undefined) return (status >= 500 && status !== 501) || status === 429 || status === 408;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (e.Code && TRANSIENT_NAMES.has(e.Code)) return true;
  const code = systemErrorCode(err);
  return code !== undefined && TRANSIENT_CODES.has(code);
}

/**
 * What kind of transient failure this was, for the retry log line: "throttled (SlowDown)",
 * "server error (HTTP 500 InternalError)", "network (ECONNRESET)", "timeout", "truncated body".
 */
export function transientCategory(err: unknown): string {
  if (!err || typeof err !== 'object') return 'unknown';
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  const name = e.Code ?? e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const label = [status !== undefined ? `HTTP ${status}` : '', name && name !== 'Error' && !/^\d+$/.test(name) ? name : '']
    .filter(Boolean)
    .join(' ');
  if (status === 429 || e.$retryable?.throttling || /throttl|slowdown|toomanyrequests|limitexceeded/i.test(name)) return `throttled (${label || 'throttling'})`;
  if (name === 'TruncatedBodyError' || name === 'IncompleteBody') return 'truncated body';
  if (status !== undefined && status >= 500) return `server error (${label})`;
  // The SDK names a dropped connection "TimeoutError"; the system code says what really happened.
  const code = status === undefined ? systemErrorCode(err) : undefined;
  if (code && !/TIMEDOUT/.test(code)) return `network (${code})`;
  if (code || /timeout/i.test(name) || status === 408) return `timeout (${code || label || name})`;
  return label || 'transient';
}

/**
 * Exponential back-off with full jitter: a random delay in [base/2, base], base = min * 2^(n-1)
 * capped at max. Jitter keeps parallel jobs that failed together from retrying in lock-step.
 */
export function backoffDelayMs(retryNumber: number, minMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.round(base / 2 + random() * (base / 2));
}

/**
 * Runs fn, retrying transient failures `attempts` times. p-retry counts the attempts; the delay
 * is ours (p-retry's own is set to 0) so that the log line can say how long we wait.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { signal, log } = options;
  const isTransient = options.isTransient ?? isTransientError;
  const minMs = options.minTimeoutMs ?? 1000;
  const maxMs = Math.max(minMs, options.maxTimeoutMs ?? 10_000);
  return pRetry(
    async (attempt) => {
      if (signal?.aborted) throw new pRetry.AbortError(abortReason(signal));
      try {
        return await fn(attempt);
      } catch (err) {
        if (signal?.aborted || !isTransient(err)) {
          throw new pRetry.AbortError(toError(err));
        }
        throw toError(err);
      }
    },
    {
      retries: Math.max(0, Math.floor(options.attempts)),
      minTimeout: 0,
      maxTimeout: 0,
      randomize: false,
      onFailedAttempt: async (err) => {
        if (err.retriesLeft <= 0) return;
        const delay = backoffDelayMs(err.attemptNumber, minMs, maxMs);
        log?.(
          `${options.what ?? 'Storage request'} failed (attempt ${err.attemptNumber} of ${err.attemptNumber + err.retriesLeft}, ` +
            `${transientCategory(err)}): ${err.message}; retrying in ${(delay / 1000).toFixed(1)} s.`,
        );
        // Rejecting here ends p-retry with this error: a cancelled run stops waiting at once.
        await sleep(delay, signal);
      },
    },
  );
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error(typeof reason === 'string' ? reason : 'The operation was aborted.');
  e.name = 'AbortError';
  return e;
}

// p-retry rejects non-Error values and gives up on TypeErrors; wrap so our test decides.
function toError(err: unknown): Error {
  if (err instanceof Error) {
    if (err instanceof TypeError && isTransientError(err)) {
      const wrapped = new Error(err.message);
      wrapped.name = err.name;
      Object.assign(wrapped, err);
      return wrapped;
    }
    return err;
  }
  return new Error(String(err));
}
