import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Settings, StorageType } from '../config/types';
import { ActionError } from '../errors';
import type { PhaseOptions, UploadResult } from './backend';
import { LocalBackend } from './local-backend';

/**
 * Limited mode: workflow steps move the database (actions/download-artifact before us,
 * actions/upload-artifact after). We collect and report on the file at database-path and tell the
 * user exactly how to persist it; with artifact-upload: true we upload it ourselves.
 */
export class ArtifactLimitedBackend extends LocalBackend {
  override readonly type: StorageType = 'sqlite-artifact';

  constructor(
    private readonly settings: Settings,
    private readonly options: { inActions: boolean },
  ) {
    super(settings.databasePath, settings.onCorruptDatabase);
  }

  override get location(): string {
    return `artifact ${this.settings.artifactName} (${this.relativePath()})`;
  }

  private relativePath(): string {
    const rel = path.relative(this.settings.workspace, this.settings.databasePath);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : this.settings.databasePath;
  }

  protected override firstRunNote(): string {
    return (
      `No database at ${this.relativePath()}: this is the first run, starting a new history. ` +
      `On later runs, restore the artifact "${this.settings.artifactName}" to that path with an actions/download-artifact step before this one ` +
      '(see docs/track-metrics-action.md, "Artifact mode").'
    );
  }

  protected override corruptHint(): string {
    return 'Check the actions/download-artifact step restores the right artifact, or set on-corrupt-database: recreate to start a new history.';
  }

  override async upload(databasePath: string, _options: PhaseOptions): Promise<UploadResult> {
    const bytes = fs.statSync(databasePath).size;
    const outputs = {
      'artifact-name': this.settings.artifactName,
      'artifact-path': databasePath,
    };
    if (this.settings.artifactUpload && this.options.inActions) {
      // Loaded lazily: only this path needs the artifact client and its dependencies.
      const { DefaultArtifactClient } = await import('@actions/artifact');
      try {
        const response = await new DefaultArtifactClient().uploadArtifact(this.settings.artifactName, [databasePath], path.dirname(databasePath));
        return {
          bytes,
          transferred: true,
          notes: [`Uploaded artifact "${this.settings.artifactName}" (id ${response.id ?? 'unknown'}, ${response.size ?? bytes} bytes).`],
          outputs: { ...outputs, 'artifact-upload-required': 'false' },
        };
      } catch (e) {
        throw new ActionError('INTERNAL', `Uploading artifact "${this.settings.artifactName}" failed: ${e instanceof Error ? e.message : String(e)}. The updated database is still at ${databasePath}.`, {
          hint: 'Add an actions/upload-artifact step with if: always() to save it, or re-run the job.',
          cause: e,
        });
      }
    }
    const notes = [`The updated database is at ${this.relativePath()}: an actions/upload-artifact step after this one must save it.`];
    if (this.settings.artifactUpload && !this.options.inActions) notes.push('artifact-upload is true but this is not a GitHub Actions run: nothing was uploaded.');
    return {
      bytes,
      transferred: false,
      notes,
      outputs: { ...outputs, 'artifact-upload-required': 'true' },
      nextStep: uploadSnippet(this.settings.artifactName, this.relativePath()),
    };
  }
}

/** The ready-to-paste step that persists the database. */
export function uploadSnippet(name: string, artifactPath: string): string {
  return [
    '### Next step: save the database',
    '',
    'This run used artifact mode, so the updated database must be uploaded by the workflow. Add this step **after** track-metrics:',
    '',
    '```yaml',
    '- name: Save metrics database',
    '  uses: actions/upload-artifact@v4',
    '  with:',
    `    name: ${yamlScalar(name)}`,
    `    path: ${yamlScalar(artifactPath)}`,
    '    overwrite: true',
    '    retention-days: 90',
    '    if-no-files-found: error',
    '```',
  ].join('\n');
}

function yamlScalar(s: string): string {
  return /^[A-Za-z0-9._\/-]+$/.test(s) ? s : JSON.stringify(s);
}
