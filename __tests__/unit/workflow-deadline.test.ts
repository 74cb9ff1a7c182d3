import { ActionError } from '../../src/errors';
import { Deadline } from '../../src/workflow/deadline';

/** The storage phases' shared budget: TIMEOUT on expiry, a cancel error on signal, cleanup first. */

async function rejection(p: Promise<unknown>): Promise<ActionError> {
  try {
    await p;
  } catch (e) {
    return e as ActionError;
  }
  throw new Error('expected a rejection');
}

/** Work that honours its signal: it rejects with its own abort error after `cleanupMs`. */
function abortable(cleanupMs: number, done: string[]): (signal: AbortSignal) => Promise<never> {
  return (signal) =>
    new Promise((_, reject) => {
      signal.addEventListener('abort', () =>
        setTimeout(() => {
          done.push('cleaned up');
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        }, cleanupMs),
      );
    });
}

test('expiry ends in TIMEOUT (not the work’s own abort error), after the work cleaned up', async () => {
  const done: string[] = [];
  const started = Date.now();
  const err = await rejection(new Deadline(100, new AbortController().signal).run('upload', abortable(150, done)));
  expect(err.code).toBe('TIMEOUT');
  expect(err.message).toContain('(during upload)');
  expect(done).toEqual(['cleaned up']);
  expect(Date.now() - started).toBeGreaterThanOrEqual(240);
});

test('work that ignores its signal is given up on after the cleanup grace', async () => {
  const started = Date.now();
  const err = await rejection(new Deadline(100, new AbortController().signal, 200).run('download', () => new Promise(() => undefined)));
  expect(err.code).toBe('TIMEOUT');
  const took = Date.now() - started;
  expect(took).toBeGreaterThanOrEqual(290);
  expect(took).toBeLessThan(1_000);
});

test('cancellation aborts the work and says the run was cancelled', async () => {
  const cancel = new AbortController();
  const done: string[] = [];
  setTimeout(() => cancel.abort(), 50);
  const err = await rejection(new Deadline(60_000, cancel.signal).run('upload', abortable(20, done)));
  expect(err.code).toBe('INTERNAL');
  expect(err.message).toBe('The run was cancelled during upload; nothing partial was uploaded.');
  expect(done).toEqual(['cleaned up']);
});

test('work that finishes in time returns its value; work errors pass through unchanged', async () => {
  const d = new Deadline(5_000, new AbortController().signal);
  await expect(d.run('download', async () => 42)).resolves.toBe(42);
  const own = new ActionError('S3_ACCESS_DENIED', 'denied');
  await expect(d.run('download', async () => Promise.reject(own))).rejects.toBe(own);
});

test('time between storage calls (metric collection) does not count against the budget', async () => {
  const d = new Deadline(300, new AbortController().signal);
  await d.run('download', () => new Promise((r) => setTimeout(r, 100)));
  // A slow collect phase, longer than the whole budget.
  await new Promise((r) => setTimeout(r, 400));
  const before = d.remainingMs();
  expect(before).toBeGreaterThan(150);
  expect(before).toBeLessThanOrEqual(200);
  await expect(d.run('upload', () => Promise.resolve('stored'))).resolves.toBe('stored');
});

test('the budget is shared: a second call gets only what the first left', async () => {
  const d = new Deadline(300, new AbortController().signal, 50);
  await d.run('download', () => new Promise((r) => setTimeout(r, 200)));
  const started = Date.now();
  const err = await rejection(d.run('upload', () => new Promise(() => undefined)));
  expect(err.code).toBe('TIMEOUT');
  expect(Date.now() - started).toBeLessThan(250);
});
