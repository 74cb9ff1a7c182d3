import * as fs from 'node:fs';
import { ActionError } from '../errors';
import { MetricsStore } from '../db/metrics-store';
import type { StorageType } from '../config/types';
import type { DownloadResult, PhaseOptions, StorageBackend, UploadResult } from './backend';
import { preserveCorruptFile } from './preserve-corrupt';

/**
 * The database is a file on disk that stays where it is: `sqlite-local` (the default) and the
 * base of artifact mode, where workflow steps move the file.
 */
export class LocalBackend implements StorageBackend {
  readonly type: StorageType = 'sqlite-local';
  readonly transfers = false;

  constructor(
    protected readonly databasePath: string,
    protected readonly onCorrupt: 'fail' | 'recreate',
  ) {}

  get location(): string {
    return this.databasePath;
  }

  protected firstRunNote(): string {
    return `No database at ${this.databasePath} yet: starting a new one.`;
  }

  protected corruptHint(): string {
    return 'Restore a good copy to that path, or set on-corrupt-database: recreate to start a new history.';
  }

  async download(databasePath: string, _options: PhaseOptions): Promise<DownloadResult> {
    if (!fs.existsSync(databasePath)) {
      return { firstRun: true, bytes: 0, notes: [this.firstRunNote()], detail: 'no database yet: new history' };
    }
    const check = MetricsStore.validateFile(databasePath);
    if (check.ok) {
      const bytes = fs.statSync(databasePath).size;
      // Nothing was transferred: say what was opened, so the row does not read like a download.
      return { firstRun: false, bytes, notes: [], detail: `opened the existing ${bytes}-byte database` };
    }
    const preserved = preserveCorruptFile(databasePath);
    if (this.onCorrupt === 'recreate') {
      return {
        firstRun: true,
        bytes: 0,
        preservedCorruptCopy: preserved,
        notes: [`The database at ${databasePath} was not valid (${check.reason}); it was preserved at ${preserved} and a new one was started.`],
      };
    }
    throw new ActionError('DB_CORRUPT', `The database at ${databasePath} is not a valid metrics database: ${check.reason}. It was preserved at ${preserved}.`, {
      hint: this.corruptHint(),
    });
  }

  async upload(databasePath: string, _options: PhaseOptions): Promise<UploadResult> {
    const bytes = fs.statSync(databasePath).size;
    // The working copy is the storage: once collection has committed, the history is saved.
    return { bytes, transferred: true, notes: [`Saved in place at ${databasePath}.`], detail: `saved in place (${bytes} bytes)` };
  }
}
