import * as core from '@actions/core';
import * as path from 'node:path';
import { loadConfig } from './config/load-config';
import { resolveSettings } from './config/settings';
import type { Settings } from './config/types';
import { readBuildContext, type BuildContext } from './context';
import { ActionError, toActionError } from './errors';
import { readInputs, SECRET_INPUTS } from './inputs';
import { createLogger } from './log';
import { emptyOutputs, writeOutputs, type ActionOutputs } from './outputs';
import { ReportService } from './report/report-service';
import { SecretRegistry } from './secrets';
import { backendWarnings, createBackend } from './storage/factory';
import { Workflow } from './workflow/workflow';

/** Environment variables that may hold credentials even when no input does. */
const SECRET_ENV = ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID'];

/**
 * The action's entry point: resolve inputs and config, run the pipeline, set outputs.
 * Never throws: every failure ends as `success=false`, an `error-code` and a failed step.
 */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<ActionOutputs> {
  const started = Date.now();
  const inActions = env.GITHUB_ACTIONS === 'true';
  const inputs = readInputs(env);

  // Mask secrets before anything at all is logged.
  const secrets = new SecretRegistry(inActions);
  for (const name of SECRET_INPUTS) secrets.register(inputs[name]);
  for (const name of SECRET_ENV) secrets.register(env[name]);

  const log = createLogger({ inActions, verbose: /^true$/i.test(inputs.verbose), redact: (s) => secrets.redact(s) });
  const outputs = emptyOutputs();
  const cancel = watchForCancellation(log.warning);
  const workspace = path.resolve(env.GITHUB_WORKSPACE || process.cwd());
  let settings: Settings | undefined;

  try {
    const configFile = path.resolve(workspace, inputs['config-file'] || 'unentropy.json');
    const config = loadConfig(configFile, path.relative(workspace, configFile) || configFile);
    settings = resolveSettings({ inputs, config, env, workspace, configFile });
    fillSettingsOutputs(outputs, settings);

    const context = readBuildContext(env, workspace);
    const backend = createBackend(settings, { inActions });
    outputs['database-location'] = backend.location;
    log.info(`track-metrics: ${settings.metrics.length} metrics, storage ${settings.storageType} at ${backend.location}`);

    const result = await new Workflow({
      settings,
      context,
      backend,
      log,
      secrets,
      env,
      cancel: cancel.signal,
      warnings: backendWarnings(settings, { inActions }),
    }).run();

    outputs.success = result.success;
    outputs['database-size'] = result.databaseSize;
    outputs['metrics-collected'] = result.collected.filter((c) => c.ok).length;
    outputs['metrics-failed'] = result.collected.filter((c) => !c.ok).length;
    outputs['total-builds'] = result.totalBuilds;
    Object.assign(outputs, result.upload?.outputs ?? {});
    if (result.upload?.outputs?.['artifact-upload-required']) {
      outputs['artifact-upload-required'] = result.upload.outputs['artifact-upload-required'] === 'true';
    }
    if (result.error) setError(outputs, result.error);
    // The upload did not happen: point an `if: failure()` step at the updated working copy.
    if (result.unsavedCopy) outputs['artifact-path'] = result.unsavedCopy;
  } catch (e) {
    const err = toActionError(e);
    setError(outputs, err);
    await writeFailureSummary(err, settings, readBuildContext(env, workspace), log.warning, (s) => secrets.redact(s));
  } finally {
    cancel.dispose();
  }

  outputs.duration = Date.now() - started;
  if (inActions || env.GITHUB_OUTPUT) {
    try {
      writeOutputs(outputs, (s) => secrets.redact(s));
    } catch (e) {
      // The data is already stored; a missing GITHUB_OUTPUT file only costs the outputs.
      log.warning(`The step outputs could not be written: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!outputs.success) {
    // In Actions setFailed marks the step and annotates it; locally the error was already printed.
    const line = `${outputs['error-code']}: ${outputs['error-message']}`;
    if (inActions) core.setFailed(secrets.redact(line));
    else {
      log.error(line);
      process.exitCode = 1;
    }
  }
  return outputs;
}

function fillSettingsOutputs(outputs: ActionOutputs, settings: Settings): void {
  outputs['storage-type'] = settings.storageType;
  outputs['database-path'] = settings.databasePath;
  outputs['artifact-name'] = settings.storageType === 'sqlite-artifact' ? settings.artifactName : '';
}

function setError(outputs: ActionOutputs, err: ActionError): void {
  outputs.success = false;
  outputs['error-code'] = err.code;
  outputs['error-message'] = err.fullMessage;
}

async function writeFailureSummary(
  err: ActionError,
  settings: Settings | undefined,
  context: BuildContext,
  warn: (s: string) => void,
  redact: (s: string) => string,
) {
  try {
    await new ReportService().write(
      {
        metrics: [],
        phases: (['download', 'collect', 'upload', 'report'] as const).map((name) => ({ name, status: 'skipped' as const, durationMs: 0, detail: 'not run' })),
        storage: { type: settings?.storageType ?? 'sqlite-local', location: settings?.databasePath ?? '', firstRun: false, notes: [] },
        build: { commitSha: context.commitSha, branch: context.branch, runId: context.runId, runNumber: context.runNumber, totalBuilds: 0 },
        warnings: [],
        failure: { code: err.code, message: err.fullMessage },
      },
      { inActions: context.inActions, redact },
    );
  } catch (e) {
    warn(`The job summary could not be written: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** GitHub cancels a job with SIGINT, then SIGTERM: stop starting work and let the phases unwind. */
function watchForCancellation(warn: (s: string) => void) {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (!controller.signal.aborted) warn(`Received ${sig}: cancelling; the stored database stays as it was or is replaced whole, never partly.`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
