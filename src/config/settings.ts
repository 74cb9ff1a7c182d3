import * as os from 'os';
import * as path from 'path';
import { ActionError } from '../errors';
import { normalizeEndpoint } from './endpoint';
import { STORAGE_TYPES, type MetricDefinition, type Settings, type StorageType, type UnentropyConfig } from './types';

export const DEFAULT_DATABASE_FILE = 'unentropy-metrics.db';
export const DEFAULT_S3_KEY = 'unentropy-metrics.db';
export const DEFAULT_S3_REGION = 'us-east-1';
export const DEFAULT_ARTIFACT_NAME = 'unentropy-metrics';
export const DEFAULT_REPORT_DIR = 'unentropy-report';
export const DEFAULT_RETRY_ATTEMPTS = 3;
export const DEFAULT_TIMEOUT_SECONDS = 300;
export const DEFAULT_METRIC_TIMEOUT_SECONDS = 60;
const MAX_RETRY_ATTEMPTS = 10;
const ON_CORRUPT_CHOICES = ['fail', 'recreate'] as const;
// Characters @actions/artifact refuses in names; caught here so the run fails before any work.
const INVALID_ARTIFACT_NAME_CHARS = /[":<>|*?\r\n\\/]/;

export interface ResolveSettingsArgs {
  /** raw action inputs keyed by contract name (`storage-type`, ...); '' means not given */
  inputs: Record<string, string>;
  config: UnentropyConfig;
  env: NodeJS.ProcessEnv;
  workspace: string;
  /** the config file as given (relative to the workspace or absolute) */
  configFile: string;
}

/** Merges action inputs > unentropy.json > environment > defaults into one validated Settings. */
export function resolveSettings(args: ResolveSettingsArgs): Settings {
  const { config, env } = args;
  const workspace = path.resolve(args.workspace);
  const configFile = path.resolve(workspace, args.configFile);
  const configName = path.isAbsolute(args.configFile) ? args.configFile : args.configFile || 'unentropy.json';
  const input = (name: string): string | undefined => {
    const v = args.inputs[name]?.trim();
    return v ? v : undefined;
  };
  const fromEnv = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const s3File = config.storage?.s3 ?? {};

  const storageType = resolveStorageType(input('storage-type'), config.storage?.type, configName);

  const databasePathInput = input('database-path');
  const databasePath = databasePathInput
    ? path.resolve(workspace, databasePathInput)
    : storageType === 'sqlite-s3'
      ? path.join(fromEnv('RUNNER_TEMP') ?? os.tmpdir(), DEFAULT_DATABASE_FILE)
      : path.join(workspace, DEFAULT_DATABASE_FILE);
  if (databasePath === configFile) {
    // Otherwise the config would be taken for a corrupt database and moved aside.
    throw new ActionError('CONFIG_INVALID', `Input \`database-path\` is the configuration file itself (${databasePathInput}).`, {
      hint: 'Point database-path at a file of its own, e.g. unentropy-metrics.db, or leave it empty for the default.',
    });
  }

  const endpoint = resolveEndpoint(
    [
      [input('s3-endpoint'), 'input `s3-endpoint`'],
      [s3File.endpoint?.trim() || undefined, `\`storage.s3.endpoint\` in ${configName}`],
      [fromEnv('AWS_ENDPOINT_URL_S3'), 'environment variable AWS_ENDPOINT_URL_S3'],
      [fromEnv('AWS_ENDPOINT_URL'), 'environment variable AWS_ENDPOINT_URL'],
    ],
  );
  const forcePathStyleInput = input('s3-force-path-style');
  const forcePathStyle =
    forcePathStyleInput !== undefined
      ? parseBoolean('s3-force-path-style', forcePathStyleInput)
      : (s3File.forcePathStyle ?? endpoint !== undefined);

  const bucket = input('s3-bucket') ?? (s3File.bucket?.trim() || undefined);
  if (storageType === 'sqlite-s3' && bucket === undefined) {
    throw new ActionError('S3_CONFIG_MISSING', 'Storage type sqlite-s3 needs a bucket, but none was given.', {
      hint:
        `Set the \`s3-bucket\` input or \`storage.s3.bucket\` in ${configName}, e.g. in the workflow:\n` +
        '  with:\n' +
        '    storage-type: sqlite-s3\n' +
        '    s3-bucket: my-metrics-bucket\n' +
        '    s3-access-key-id: ${{ secrets.S3_ACCESS_KEY_ID }}\n' +
        '    s3-secret-access-key: ${{ secrets.S3_SECRET_ACCESS_KEY }}',
    });
  }

  const artifactName = input('artifact-name') ?? DEFAULT_ARTIFACT_NAME;
  if (INVALID_ARTIFACT_NAME_CHARS.test(artifactName)) {
    throw new ActionError(
      'CONFIG_INVALID',
      `Input \`artifact-name\`: expected a name without " : < > | * ? \\ / or line breaks, found ${JSON.stringify(artifactName)}.`,
      { hint: 'Use letters, digits, dashes, dots or underscores, e.g. unentropy-metrics.' },
    );
  }

  return {
    storageType,
    workspace,
    configFile,
    databasePath,
    s3: {
      endpoint,
      bucket,
      region: input('s3-region') ?? (s3File.region?.trim() || undefined) ?? fromEnv('AWS_REGION') ?? fromEnv('AWS_DEFAULT_REGION') ?? DEFAULT_S3_REGION,
      key: input('database-key') ?? (s3File.key?.trim() || undefined) ?? DEFAULT_S3_KEY,
      // Only inputs: when absent, the S3 client falls back to the SDK's default chain (env, OIDC, ...).
      accessKeyId: input('s3-access-key-id'),
      secretAccessKey: input('s3-secret-access-key'),
      sessionToken: input('s3-session-token'),
      forcePathStyle,
    },
    artifactName,
    artifactUpload: parseOptionalBoolean('artifact-upload', input('artifact-upload'), false),
    reportDir: path.resolve(workspace, input('report-dir') ?? DEFAULT_REPORT_DIR),
    retryAttempts: parseRetryAttempts(input('retry-attempts')),
    timeoutMs: Math.round(parseTimeoutSeconds(input('timeout')) * 1000),
    onCorruptDatabase: parseChoice('on-corrupt-database', input('on-corrupt-database'), ON_CORRUPT_CHOICES, 'fail'),
    verbose: parseOptionalBoolean('verbose', input('verbose'), false),
    metrics: config.metrics.map(withMetricDefaults),
  };
}

function resolveStorageType(fromInput: string | undefined, fromConfig: string | undefined, configName: string): StorageType {
  const [value, source] =
    fromInput !== undefined
      ? [fromInput, 'input `storage-type`']
      : fromConfig !== undefined
        ? [fromConfig, `\`storage.type\` in ${configName}`]
        : ['sqlite-local', 'default'];
  if (!(STORAGE_TYPES as readonly string[]).includes(value)) {
    throw new ActionError(
      'CONFIG_INVALID',
      `Invalid storage type from ${source}: expected one of ${STORAGE_TYPES.join(', ')}, found ${JSON.stringify(value)}.`,
      { hint: `Set ${source.split(' in ')[0]} to one of ${STORAGE_TYPES.join(', ')}.` },
    );
  }
  return value as StorageType;
}

function resolveEndpoint(candidates: [string | undefined, string][]): string | undefined {
  for (const [value, source] of candidates) {
    if (value !== undefined) return normalizeEndpoint(value, source);
  }
  return undefined;
}

function withMetricDefaults(metric: MetricDefinition): MetricDefinition {
  return { ...metric, timeout: metric.timeout ?? DEFAULT_METRIC_TIMEOUT_SECONDS };
}

/** Like core.getBooleanInput, but any letter case. */
export function parseBoolean(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ActionError('CONFIG_INVALID', `Input \`${name}\`: expected true or false, found ${quoteBounded(raw)}.`, {
    hint: `Set \`${name}\` to true or false.`,
  });
}

function parseOptionalBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  return raw === undefined ? fallback : parseBoolean(name, raw);
}

function parseRetryAttempts(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_RETRY_ATTEMPTS;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n > MAX_RETRY_ATTEMPTS) {
    throw new ActionError(
      'CONFIG_INVALID',
      `Input \`retry-attempts\`: expected a whole number from 0 to ${MAX_RETRY_ATTEMPTS}, found ${quoteBounded(raw)}.`,
      { hint: `Set \`retry-attempts\` to e.g. ${DEFAULT_RETRY_ATTEMPTS}, or remove it for the default.` },
    );
  }
  return n;
}

function parseTimeoutSeconds(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0) {
    throw new ActionError(
      'CONFIG_INVALID',
      `Input \`timeout\`: expected a positive number of seconds, found ${quoteBounded(raw)}.`,
      { hint: `Set \`timeout\` to e.g. ${DEFAULT_TIMEOUT_SECONDS}, or remove it for the default.` },
    );
  }
  return n;
}

function parseChoice<T extends string>(name: string, raw: string | undefined, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new ActionError(
    'CONFIG_INVALID',
    `Input \`${name}\`: expected one of ${choices.join(', ')}, found ${quoteBounded(raw)}.`,
    { hint: `Set \`${name}\` to one of ${choices.join(', ')}.` },
  );
}

function quoteBounded(raw: string): string {
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
}
