/** Shapes of unentropy.json and of the merged run settings. */

export type MetricType = 'numeric' | 'label';

export interface MetricDefinition {
  name: string;
  type: MetricType;
  command: string;
  unit?: string;
  description?: string;
  /** seconds; default 60 */
  timeout?: number;
}

export const STORAGE_TYPES = ['sqlite-s3', 'sqlite-artifact', 'sqlite-local'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number];

export interface S3FileConfig {
  endpoint?: string;
  bucket?: string;
  region?: string;
  key?: string;
  forcePathStyle?: boolean;
}

export interface UnentropyConfig {
  $schema?: string;
  storage?: { type?: StorageType; s3?: S3FileConfig };
  metrics: MetricDefinition[];
}

export interface S3Settings {
  /** normalised: has a scheme, no trailing slash; undefined = AWS */
  endpoint?: string;
  bucket?: string;
  region: string;
  key: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  forcePathStyle: boolean;
}

/** Everything a run needs, after merging inputs > unentropy.json > environment > defaults. */
export interface Settings {
  storageType: StorageType;
  workspace: string;
  /** absolute path of the config file */
  configFile: string;
  /** absolute path of the working copy of the database */
  databasePath: string;
  s3: S3Settings;
  artifactName: string;
  artifactUpload: boolean;
  reportDir: string;
  retryAttempts: number;
  /** storage phases together, milliseconds */
  timeoutMs: number;
  onCorruptDatabase: 'fail' | 'recreate';
  verbose: boolean;
  metrics: MetricDefinition[];
}
