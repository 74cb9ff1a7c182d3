import type { StorageType } from '../config/types';

export interface DownloadResult {
  /** true only when storage said definitely "no such database": a first run. */
  firstRun: boolean;
  /** bytes of the database found (0 on a first run) */
  bytes: number;
  /** lines for the log and the summary (e.g. "No database at s3://b/k: starting a new one.") */
  notes: string[];
  /** where a corrupt copy was preserved, if one was */
  preservedCorruptCopy?: string;
  /** one line for the phases table; defaults to "first run: new database" or the bytes downloaded */
  detail?: string;
}

export interface UploadResult {
  /** bytes stored */
  bytes: number;
  /** false when this backend leaves the transfer to a workflow step (artifact mode) */
  transferred: boolean;
  notes: string[];
  /** extra action outputs this backend sets (e.g. artifact-upload-required) */
  outputs?: Record<string, string>;
  /** markdown for the summary: the next step the user must take, if any */
  nextStep?: string;
  /** one line for the phases table; defaults to the bytes stored, or the first note */
  detail?: string;
}

export interface PhaseOptions {
  /** aborted on timeout or cancellation; backends must stop work and clean up */
  signal: AbortSignal;
  log: (line: string) => void;
}

/**
 * Moves the SQLite database between storage and its working copy at `databasePath`.
 * Invariant: nothing may upload an empty or older database over a good one, and no error
 * may be taken for "no database yet"; only a definite "no such key" is a first run.
 */
export interface StorageBackend {
  readonly type: StorageType;
  /** human-readable location without credentials, e.g. s3://bucket/key */
  readonly location: string;
  /** whether download/upload move bytes (false for artifact mode, where workflow steps do) */
  readonly transfers: boolean;
  /** puts the database at databasePath (or leaves none there for a first run) */
  download(databasePath: string, options: PhaseOptions): Promise<DownloadResult>;
  /** stores the updated database from databasePath */
  upload(databasePath: string, options: PhaseOptions): Promise<UploadResult>;
}
