import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Settings } from '../config/types';
import type { BuildContext } from '../context';
import { MetricsStore } from '../db/metrics-store';
import { ActionError, toActionError } from '../errors';
import type { Logger } from '../log';
import { collectMetrics } from '../metrics/collector';
import type { CollectedMetric } from '../metrics/types';
import { ReportService } from '../report/report-service';
import type { MetricRow, PhaseName, ReportData } from '../report/types';
import type { SecretRegistry } from '../secrets';
import type { DownloadResult, StorageBackend, UploadResult } from '../storage/backend';
import { Deadline } from './deadline';
import { PhaseRunner } from './phase-runner';
import { buildMetricRows } from './report-data';

const PHASES: PhaseName[] = ['download', 'collect', 'upload', 'report'];

export interface WorkflowDeps {
  settings: Settings;
  context: BuildContext;
  backend: StorageBackend;
  log: Logger;
  secrets: SecretRegistry;
  /** environment the metric commands start from (INPUT_* is removed by the collector) */
  env: NodeJS.ProcessEnv;
  /** aborted on SIGINT / SIGTERM */
  cancel: AbortSignal;
  reportService?: ReportService;
  warnings?: string[];
}

export interface WorkflowResult {
  success: boolean;
  error?: ActionError;
  collected: CollectedMetric[];
  totalBuilds: number;
  databaseSize: number;
  upload?: UploadResult;
  download?: DownloadResult;
  markdown?: string;
  durationMs: number;
  /** set when this build was recorded in the working copy but not stored: where that copy is */
  unsavedCopy?: string;
}

/**
 * download → collect → upload → report. Upload runs before the report so that a failing report
 * never costs data, and nothing is uploaded unless collection recorded a complete build.
 */
export class Workflow {
  private readonly phases: PhaseRunner;
  private readonly report: ReportService;

  constructor(private readonly deps: WorkflowDeps) {
    this.phases = new PhaseRunner(deps.log);
    this.report = deps.reportService ?? new ReportService();
  }

  async run(): Promise<WorkflowResult> {
    const { settings, backend, log, cancel } = this.deps;
    const started = Date.now();
    const deadline = new Deadline(settings.timeoutMs, cancel);
    const dbPath = settings.databasePath;
    const warnings = [...(this.deps.warnings ?? [])];
    let buildId = 0;
    let replaced = false;
    const result: WorkflowResult = { success: false, collected: [], totalBuilds: 0, databaseSize: 0, durationMs: 0 };
    let rows: MetricRow[] = [];

    try {
      result.download = await this.phases.run('download', async (record) => {
        fs.mkdirSync(path.dirname(dbPath), { recursive: true });
        const downloaded = await deadline.run('download', (signal) => backend.download(dbPath, { signal, log: (l) => log.info(l) }));
        for (const note of downloaded.notes) log.info(note);
        record.detail = downloaded.detail ?? (downloaded.firstRun ? 'first run: new database' : `${downloaded.bytes} bytes`);
        return downloaded;
      });

      await this.phases.run('collect', async (record) => {
        if (cancel.aborted) throw new ActionError('INTERNAL', 'The run was cancelled before collecting metrics.');
        const store = MetricsStore.open(dbPath, { log: (l) => log.debug(l) });
        try {
          result.collected = await collectMetrics(settings.metrics, {
            cwd: settings.workspace,
            env: this.deps.env,
            context: this.deps.context,
            signal: cancel,
            log: (l) => log.info(l),
          });
          const masked = this.maskSecretLabels(result.collected);
          ({ buildId, replaced } = store.recordBuild(this.deps.context, settings.metrics, masked));
          result.collected = masked;
          result.totalBuilds = store.countBuilds();
          rows = buildMetricRows(store, settings.metrics, masked, buildId);
        } finally {
          store.close();
        }
        const failed = result.collected.filter((c) => !c.ok).length;
        record.detail = `${result.collected.length - failed} of ${result.collected.length} metrics`;
        if (cancel.aborted) throw new ActionError('INTERNAL', 'The run was cancelled during collection; nothing was uploaded.');
      });

      result.upload = await this.phases.run('upload', async (record) => {
        const uploaded = await deadline.run('upload', (signal) => backend.upload(dbPath, { signal, log: (l) => log.info(l) }));
        for (const note of uploaded.notes) log.info(note);
        result.databaseSize = uploaded.bytes;
        if (!uploaded.transferred) record.status = 'skipped';
        record.detail = uploaded.detail ?? (uploaded.transferred ? `${uploaded.bytes} bytes` : (uploaded.notes[0] ?? 'nothing to transfer'));
        return uploaded;
      });
      result.success = true;
    } catch (e) {
      // Reported once, by the caller (core.setFailed): a second annotation would only repeat it.
      result.error = toActionError(e);
      this.phases.skipRemaining(PHASES.slice(0, 3), 'not run: an earlier phase failed');
      if (buildId && !result.upload) {
        // Recorded in the working copy, never stored: count what storage holds, and say where
        // the copy is so an `if: failure()` step can keep it.
        result.unsavedCopy = dbPath;
        result.totalBuilds = result.download?.firstRun ? 0 : result.totalBuilds - (replaced ? 0 : 1);
        const unsaved =
          `This build's metrics were not stored; the updated database is at ${dbPath} (output artifact-path). ` +
          'Keep it with an if: failure() step that uploads steps.<id>.outputs.artifact-path (actions/upload-artifact).';
        log.warning(unsaved);
        warnings.push(unsaved);
      }
    }
    // Only a database this run opened has a size worth reporting (not a leftover after a failed download).
    if (!result.databaseSize && result.download && fs.existsSync(dbPath)) result.databaseSize = fs.statSync(dbPath).size;

    // The report never decides the outcome of the data: it runs after upload and its own failure
    // only fails the step.
    try {
      await this.phases.run('report', async () => {
        result.durationMs = Date.now() - started;
        result.markdown = await this.report.write(this.reportData(rows, result, warnings), {
          inActions: this.deps.context.inActions,
          redact: (markdown) => this.deps.secrets.redact(markdown),
        });
      });
    } catch (e) {
      const err = toActionError(e);
      log.warning(`The job summary could not be written: ${err.message}`);
      if (result.success) {
        result.success = false;
        result.error = err;
      }
    }
    result.durationMs = Date.now() - started;
    return result;
  }

  /** A label equal to a known secret is stored and shown masked. */
  private maskSecretLabels(collected: CollectedMetric[]): CollectedMetric[] {
    const { secrets } = this.deps;
    return collected.map((c) => {
      const masked = { ...c };
      if (typeof c.value === 'string') masked.value = secrets.redact(c.value);
      if (c.error) masked.error = secrets.redact(c.error);
      return masked;
    });
  }

  private reportData(rows: MetricRow[], result: WorkflowResult, warnings: string[]): ReportData {
    const { settings, context, backend } = this.deps;
    const notes = [...(result.download?.notes ?? []), ...(result.upload?.notes ?? [])];
    return {
      metrics: rows,
      phases: this.phases.records.map((r) => ({ ...r })),
      storage: {
        type: settings.storageType,
        location: backend.location,
        // A corrupt database set aside and replaced is not a first run: the notes say where it went.
        firstRun: Boolean(result.download?.firstRun && !result.download.preservedCorruptCopy),
        notes,
      },
      build: {
        commitSha: context.commitSha,
        branch: context.branch,
        runId: context.runId,
        runNumber: context.runNumber,
        totalBuilds: result.totalBuilds,
      },
      warnings,
      nextStep: result.upload?.nextStep,
      failure: result.error ? { code: result.error.code, message: result.error.fullMessage } : undefined,
    };
  }
}
