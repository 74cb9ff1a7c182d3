import type { MetricType, StorageType } from '../config/types';

export type PhaseName = 'download' | 'collect' | 'upload' | 'report';
export type PhaseStatus = 'success' | 'skipped' | 'failed';

export interface PhaseRecord {
  name: PhaseName;
  status: PhaseStatus;
  durationMs: number;
  /** short detail: "first run", "3 of 4 metrics", the error message */
  detail?: string;
}

export interface MetricRow {
  name: string;
  type: MetricType;
  unit?: string;
  description?: string;
  /** this build's value; undefined when the metric failed */
  value?: number | string;
  /** the previous build's value (for the change column), if any */
  previous?: number | string;
  /** recent values, oldest first, ending with this build's (numeric: numbers; label: strings) */
  history: Array<number | string>;
  /** over all recorded builds (numeric only) */
  stats?: { min: number; max: number; avg: number; count: number };
  ok: boolean;
  error?: string;
}

export interface ReportData {
  metrics: MetricRow[];
  phases: PhaseRecord[];
  storage: {
    type: StorageType;
    location: string;
    firstRun: boolean;
    notes: string[];
  };
  build: {
    commitSha: string;
    branch: string;
    runId: string;
    runNumber: number;
    totalBuilds: number;
  };
  /** warnings shown at the top (e.g. local storage inside Actions does not persist) */
  warnings: string[];
  /** markdown block: the exact next step the user must take (artifact mode) */
  nextStep?: string;
  /** set when the run failed: code and message */
  failure?: { code: string; message: string };
}
