import type { StorageType } from '../../src/config/types';

/**
 * Storage-type precedence (contract: input > unentropy.json > default sqlite-local), one table
 * for the settings layer and the backend factory: [label, input, config storage.type, expected].
 */
export const STORAGE_TYPE_CASES: Array<[string, string | undefined, StorageType | undefined, StorageType]> = [
  ['input only: s3', 'sqlite-s3', undefined, 'sqlite-s3'],
  ['input only: artifact', 'sqlite-artifact', undefined, 'sqlite-artifact'],
  ['config only: artifact', undefined, 'sqlite-artifact', 'sqlite-artifact'],
  ['config only: s3', undefined, 'sqlite-s3', 'sqlite-s3'],
  ['both: input (local) wins over config (s3)', 'sqlite-local', 'sqlite-s3', 'sqlite-local'],
  ['both: input (artifact) wins over config (local)', 'sqlite-artifact', 'sqlite-local', 'sqlite-artifact'],
  ['both: input (s3) wins over config (artifact)', 'sqlite-s3', 'sqlite-artifact', 'sqlite-s3'],
  ['empty input is not given', '', 'sqlite-artifact', 'sqlite-artifact'],
  ['neither: local', undefined, undefined, 'sqlite-local'],
];
