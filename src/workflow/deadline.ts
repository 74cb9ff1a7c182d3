import { ActionError } from '../errors';

/**
 * One time budget shared by the storage phases (`timeout` input), plus cancellation. Work gets a
 * signal that aborts on expiry or cancel, and the race guarantees we stop waiting even if the
 * work ignores its signal. Only time spent inside run() counts: metric collection between the
 * download and the upload must not eat the storage budget.
 */
export class Deadline {
  private spentMs = 0;

  constructor(
    private readonly budgetMs: number,
    private readonly cancel: AbortSignal,
    /** how long aborted work may take to clean up before we stop waiting for it, ms */
    private readonly cleanupGraceMs = 3000,
  ) {}

  remainingMs(): number {
    return Math.max(0, this.budgetMs - this.spentMs);
  }

  async run<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timeoutError = () =>
      new ActionError('TIMEOUT', `The storage phases did not finish within ${Math.round(this.budgetMs / 1000)} s (during ${what}); nothing partial was uploaded.`, {
        hint: 'Check that the storage endpoint is reachable from the runner, or raise the `timeout` input.',
      });
    const cancelError = () =>
      new ActionError('INTERNAL', `The run was cancelled during ${what}; nothing partial was uploaded.`, {
        hint: 'The job was cancelled (SIGINT/SIGTERM); re-run it to record this build.',
      });
    if (this.cancel.aborted) throw cancelError();
    if (this.remainingMs() <= 0) throw timeoutError();

    let timer: NodeJS.Timeout | undefined;
    let onCancel: (() => void) | undefined;
    const started = Date.now();
    const work = fn(controller.signal);
    // After aborting, give the work a moment to clean up (e.g. abort a multipart upload on the
    // server) before we stop waiting: the process exits soon after.
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    let stopping = false;
    const stopAfterCleanup = (reject: (e: unknown) => void, error: ActionError) => {
      stopping = true;
      controller.abort();
      let grace: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((r) => (grace = setTimeout(r, this.cleanupGraceMs)));
      void Promise.race([settled, graceOver]).then(() => {
        clearTimeout(grace);
        reject(error);
      });
    };
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => stopAfterCleanup(reject, timeoutError()), this.remainingMs());
      onCancel = () => stopAfterCleanup(reject, cancelError());
      this.cancel.addEventListener('abort', onCancel, { once: true });
    });
    // Once stopping, the work's own (abort) error must not win over TIMEOUT / cancelled.
    const guarded = work.catch((err: unknown) => (stopping ? stop : Promise.reject(err)));
    try {
      return await Promise.race([guarded, stop]);
    } finally {
      this.spentMs += Date.now() - started;
      clearTimeout(timer);
      if (onCancel) this.cancel.removeEventListener('abort', onCancel);
    }
  }
}
