import { execFileSync } from 'node:child_process';

/** Where this run comes from: commit, branch, run id and friends. */
export interface BuildContext {
  commitSha: string;
  branch: string;
  runId: string;
  runNumber: number;
  runAttempt: number;
  actor: string;
  eventName: string;
  repository: string;
  /** ISO-8601 UTC */
  timestamp: string;
  /** true inside GitHub Actions (GITHUB_ACTIONS=true) */
  inActions: boolean;
}

function git(args: string[], cwd: string): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function positiveInt(raw: string | undefined, fallback: number): number {
  const n = Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Inside Actions the GITHUB_* variables say everything. Locally we ask git, and use the time as
 * the run id so that every local run is a new build.
 */
export function readBuildContext(env: NodeJS.ProcessEnv, workspace: string, now = new Date()): BuildContext {
  const inActions = env.GITHUB_ACTIONS === 'true';
  if (inActions) {
    return {
      commitSha: env.GITHUB_SHA || 'unknown',
      branch: env.GITHUB_HEAD_REF || env.GITHUB_REF_NAME || 'unknown',
      runId: env.GITHUB_RUN_ID || `local-${now.getTime()}`,
      runNumber: positiveInt(env.GITHUB_RUN_NUMBER, 1),
      runAttempt: positiveInt(env.GITHUB_RUN_ATTEMPT, 1),
      actor: env.GITHUB_ACTOR || 'unknown',
      eventName: env.GITHUB_EVENT_NAME || 'unknown',
      repository: env.GITHUB_REPOSITORY || '',
      timestamp: now.toISOString(),
      inActions,
    };
  }
  return {
    commitSha: env.GITHUB_SHA || git(['rev-parse', 'HEAD'], workspace) || 'uncommitted',
    branch: env.GITHUB_REF_NAME || git(['rev-parse', '--abbrev-ref', 'HEAD'], workspace) || 'local',
    runId: env.GITHUB_RUN_ID || `local-${now.getTime()}`,
    runNumber: positiveInt(env.GITHUB_RUN_NUMBER, 0) || 0,
    runAttempt: positiveInt(env.GITHUB_RUN_ATTEMPT, 1),
    actor: env.GITHUB_ACTOR || env.USER || env.USERNAME || 'local',
    eventName: env.GITHUB_EVENT_NAME || 'local',
    repository: env.GITHUB_REPOSITORY || '',
    timestamp: now.toISOString(),
    inActions,
  };
}
