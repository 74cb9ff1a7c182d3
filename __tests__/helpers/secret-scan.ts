import * as fs from 'node:fs';
import type { ActionRun } from './action-runner';
import { filesUnder, runnerTempOf } from './failure-scenario';

/** A recognisable secret: distinctive enough that any occurrence is a leak, never a coincidence. */
export const TEST_SECRET = 'tmSecret-Q7v2Xk9Lw4Zp8Rn3';

/**
 * Fails if `secret` appears in anything the action wrote: stdout, stderr, the summary, the
 * GITHUB_OUTPUT file, every file under the workspace and RUNNER_TEMP (the database working
 * copy, the report) and any extra bytes given (e.g. the stored database).
 *
 * The one allowed occurrence: the runner-protocol line `::add-mask::<secret>` that
 * core.setSecret prints so the runner masks the value. It is an instruction to the runner, not
 * log output (the runner never displays it), so exactly those lines are stripped first.
 */
export function expectNoSecret(run: ActionRun & { workspace: string }, secret: string, extra: Buffer[] = []): void {
  const maskLine = `::add-mask::${secret}`;
  const stdout = run.stdout
    .split('\n')
    .filter((l) => l.trim() !== maskLine)
    .join('\n');
  const places: Array<[string, Buffer]> = [
    ['stdout', Buffer.from(stdout)],
    ['stderr', Buffer.from(run.stderr)],
    ['summary', fs.readFileSync(run.summaryFile)],
    ['GITHUB_OUTPUT', fs.readFileSync(run.outputFile)],
    ...[...filesUnder(run.workspace), ...filesUnder(runnerTempOf(run))].map((f): [string, Buffer] => [f, fs.readFileSync(f)]),
    ...extra.map((b, i): [string, Buffer] => [`extra #${i}`, b]),
  ];
  const leaks = places.filter(([, bytes]) => bytes.includes(secret)).map(([where]) => where);
  expect(leaks).toEqual([]);
  // The mask line itself must be there: proof the secret was registered with the runner.
  expect(run.stdout.split('\n')).toContain(maskLine);
}
