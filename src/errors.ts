/** Error codes of the public contract (the `error-code` output). */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'S3_CONFIG_MISSING',
  'S3_AUTH_FAILED',
  'S3_ACCESS_DENIED',
  'S3_BUCKET_NOT_FOUND',
  'S3_NETWORK',
  'S3_UPLOAD_VERIFY_FAILED',
  'DB_CORRUPT',
  'CONCURRENT_UPDATE',
  'TIMEOUT',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * A failure the user can act on. `message` says what happened; `hint` says what to do.
 * Never put secrets in either: they reach logs, outputs and the summary.
 */
export class ActionError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message);
    this.name = 'ActionError';
    this.code = code;
    this.hint = options.hint;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }

  /** One line for `core.setFailed` and the `error-message` output. */
  get fullMessage(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export function isActionError(e: unknown): e is ActionError {
  return e instanceof ActionError;
}

/** Wraps anything unexpected as INTERNAL so every failure carries a code. */
export function toActionError(e: unknown): ActionError {
  if (isActionError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ActionError('INTERNAL', `Unexpected error: ${message}`, {
    hint: 'This is a bug in track-metrics; please report it with the log (run with verbose: true).',
    cause: e,
  });
}
