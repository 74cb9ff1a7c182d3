/** The environment a metric command sees. */
import type { MetricDefinition } from '../config/types';
import type { BuildContext } from '../context';

/**
 * `base` minus every `INPUT_*` variable (action inputs carry secrets such as
 * `INPUT_S3-SECRET-ACCESS-KEY`, and a metric command is user code that may log its
 * environment), plus the `UNENTROPY_*` variables of the contract.
 */
export function buildCommandEnv(
  base: NodeJS.ProcessEnv,
  context: BuildContext,
  metric: MetricDefinition,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) {
    // Case-insensitive: Windows environment names are, and `Input_X` would leak otherwise.
    if (/^input_/i.test(key)) continue;
    env[key] = value;
  }
  env.UNENTROPY_COMMIT_SHA = context.commitSha;
  env.UNENTROPY_BRANCH = context.branch;
  env.UNENTROPY_RUN_ID = context.runId;
  env.UNENTROPY_RUN_NUMBER = String(context.runNumber);
  env.UNENTROPY_ACTOR = context.actor;
  env.UNENTROPY_EVENT_NAME = context.eventName;
  env.UNENTROPY_METRIC_NAME = metric.name;
  env.UNENTROPY_METRIC_TYPE = metric.type;
  return env;
}
