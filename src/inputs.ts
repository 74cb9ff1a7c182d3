/** The action's inputs (contract), read the way @actions/core does: INPUT_<NAME>, dashes kept. */
export const INPUT_NAMES = [
  'storage-type',
  'config-file',
  'database-path',
  'database-key',
  's3-endpoint',
  's3-bucket',
  's3-region',
  's3-access-key-id',
  's3-secret-access-key',
  's3-session-token',
  's3-force-path-style',
  'artifact-name',
  'artifact-upload',
  'report-dir',
  'retry-attempts',
  'timeout',
  'on-corrupt-database',
  'verbose',
] as const;

export const SECRET_INPUTS = ['s3-access-key-id', 's3-secret-access-key', 's3-session-token'] as const;

export function readInputs(env: NodeJS.ProcessEnv): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const name of INPUT_NAMES) {
    inputs[name] = (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
  }
  return inputs;
}
