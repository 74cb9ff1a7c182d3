import { ActionError } from '../errors';

/**
 * One time budget shared by the storage phases (`timeout` input), plus cancellation. Work gets a
 * signal that aborts on expiry or cancel, and the race guarantees we stop waiting even if the
 * work ignores its signal.
 */
export class Deadline {
  private readonly endsAt: number;

  constructor(
    private readonly budgetMs: number,
    private readonly cancel: AbortSignal,
    now = Date.now(),
  ) {
    this.endsAt = now + budgetMs;
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - Date.now());
  }

  async run<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timeoutError = () =>
      new ActionError('TIMEOUT', `The storage phases did not finish within ${Math.round(this.budgetMs / 1000)} s (during ${what}); nothing partial was uploaded.`, {
        hint: 'Check that the storage endpoint is reachable from the runner, or raise the `timeout` input.',
      });
    const cancelError = () => new ActionError('INTERNAL', `The run was cancelled during ${what}; nothing partial was uploaded.`);
    if (this.cancel.aborted) throw cancelError();
    if (this.remainingMs() <= 0) throw timeoutError();

    let timer: NodeJS.Timeout | undefined;
    let onCancel: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(timeoutError());
      }, this.remainingMs());
      onCancel = () => {
        controller.abort();
        reject(cancelError());
      };
      this.cancel.addEventListener('abort', onCancel, { once: true });
    });
    try {
      return await Promise.race([fn(controller.signal), stop]);
    } finally {
      clearTimeout(timer);
      if (onCancel) this.cancel.removeEventListener('abort', onCancel);
    }
  }
}
