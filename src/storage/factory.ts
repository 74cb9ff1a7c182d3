import type { Settings } from '../config/types';
import type { StorageBackend } from './backend';
import { LocalBackend } from './local-backend';
import { ArtifactLimitedBackend } from './artifact-backend';

/** Picks the backend for the resolved storage type (precedence is settled in resolveSettings). */
export function createBackend(settings: Settings, options: { inActions: boolean }): StorageBackend {
  switch (settings.storageType) {
    case 'sqlite-s3': {
      // Required here, not at the top: the AWS SDK is most of the bundle's start-up work, and
      // local and artifact runs (and config errors) never need it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { S3Backend } = require('./s3-backend') as typeof import('./s3-backend');
      return new S3Backend(settings.s3, {
        retryAttempts: settings.retryAttempts,
        onCorruptDatabase: settings.onCorruptDatabase,
      });
    }
    case 'sqlite-artifact':
      return new ArtifactLimitedBackend(settings, { inActions: options.inActions });
    case 'sqlite-local':
      return new LocalBackend(settings.databasePath, settings.onCorruptDatabase);
  }
}

/** Warnings the summary shows for this choice of backend. */
export function backendWarnings(settings: Settings, options: { inActions: boolean }): string[] {
  if (settings.storageType === 'sqlite-local' && options.inActions) {
    return [
      'storage-type is sqlite-local: the database lives only on this runner and its history will not persist past this job. ' +
        'Use sqlite-s3 (your own S3-compatible bucket) or sqlite-artifact (GitHub artifacts) to keep history across runs.',
    ];
  }
  return [];
}
