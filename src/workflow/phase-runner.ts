import type { Logger } from '../log';
import type { PhaseName, PhaseRecord } from '../report/types';

/** Times a phase, logs it in its own group, and records success / skipped / failed. */
export class PhaseRunner {
  readonly records: PhaseRecord[] = [];

  constructor(private readonly log: Logger) {}

  async run<T>(name: PhaseName, fn: (record: PhaseRecord) => Promise<T>): Promise<T> {
    const record: PhaseRecord = { name, status: 'success', durationMs: 0 };
    this.records.push(record);
    const started = Date.now();
    try {
      return await this.log.group(`${name}`, () => fn(record));
    } catch (e) {
      record.status = 'failed';
      record.detail = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      record.durationMs = Date.now() - started;
    }
  }

  skip(name: PhaseName, detail: string): void {
    this.records.push({ name, status: 'skipped', durationMs: 0, detail });
  }

  /** Phases that never started (an earlier one failed) still show in the summary. */
  skipRemaining(order: PhaseName[], detail: string): void {
    for (const name of order) if (!this.records.some((r) => r.name === name)) this.skip(name, detail);
  }
}
