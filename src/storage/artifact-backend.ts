import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Settings, StorageType } from '../config/types';
import { ActionError } from '../errors';
import type { DownloadResult, PhaseOptions, UploadResult } from './backend';
import { LocalBackend } from './local-backend';

const DOCS = 'docs/track-metrics-action.md ("Artifact mode")';

/**
 * Limited mode: workflow steps move the database (actions/download-artifact before us,
 * actions/upload-artifact after). We collect and report on the file at database-path and tell the
 * user exactly how to persist it; with artifact-upload: true we upload it ourselves.
 */
export class ArtifactLimitedBackend extends LocalBackend {
  override readonly type: StorageType = 'sqlite-artifact';
  private firstRun = false;

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

  override async download(databasePath: string, options: PhaseOptions): Promise<DownloadResult> {
    this.refuseMisplacedDownload(databasePath);
    const result = await super.download(databasePath, options);
    this.firstRun = result.firstRun;
    return result;
  }

  /**
   * The two ways an actions/download-artifact step most often puts the file somewhere else.
   * Starting a new history then would let the upload step replace the real one, so stop instead.
   */
  private refuseMisplacedDownload(databasePath: string): void {
    const base = path.basename(databasePath);
    const misplaced = (found: string, fix: string) =>
      new ActionError(
        'CONFIG_INVALID',
        `Artifact mode expected the database at ${this.relativePath()} (input \`database-path\`), but found ${found}. ` +
          'Nothing was changed; starting a new history here would replace the real one at the next upload.',
        { hint: `${fix} See ${DOCS}.` },
      );
    if (isDirectory(databasePath)) {
      const nested = path.join(databasePath, base);
      throw misplaced(
        `a directory there${fs.existsSync(nested) ? ` holding ${base}` : ''}`,
        `actions/download-artifact's \`path\` is the directory to extract into: set \`path: ${dirOf(this.relativePath())}\` ` +
          'and remove the directory, or point `database-path` at the file inside it.',
      );
    }
    if (fs.existsSync(databasePath)) return;
    // Without `name`, actions/download-artifact extracts every artifact into <path>/<artifact name>/.
    const perArtifactDir = path.join(path.dirname(databasePath), this.settings.artifactName, base);
    if (fs.existsSync(perArtifactDir)) {
      throw misplaced(
        `no file there and one at ${path.relative(this.settings.workspace, perArtifactDir) || perArtifactDir}`,
        `Give the actions/download-artifact step \`name: ${this.settings.artifactName}\` and \`path: ${dirOf(this.relativePath())}\`, ` +
          'or set `database-path` to where the file is.',
      );
    }
  }

  protected override firstRunNote(): string {
    const rel = this.relativePath();
    return (
      `No database at ${rel}: this is the first run, so a new history starts here. ` +
      `To continue it next time, upload ${rel} as artifact "${this.settings.artifactName}" after this step, and on later runs ` +
      `restore that artifact before this step with actions/download-artifact (run-id of the run that uploaded it, path: ${dirOf(rel)}). ` +
      `The summary shows both steps; see ${DOCS}.`
    );
  }

  protected override corruptHint(): string {
    return (
      'Check that the actions/download-artifact step restores the right artifact to the right path, ' +
      `or set on-corrupt-database: recreate to start a new history (the earlier run's artifact stays untouched). See ${DOCS}.`
    );
  }

  override async upload(databasePath: string, _options: PhaseOptions): Promise<UploadResult> {
    const bytes = fs.statSync(databasePath).size;
    const outputs = {
      'artifact-name': this.settings.artifactName,
      'artifact-path': databasePath,
    };
    const restore = this.firstRun ? restoreSnippet(this.settings.artifactName, dirOf(this.relativePath())) : undefined;
    if (this.settings.artifactUpload && this.options.inActions) {
      const id = await this.uploadArtifact(databasePath, bytes);
      return {
        bytes,
        transferred: true,
        notes: [`Uploaded ${this.relativePath()} as artifact "${this.settings.artifactName}" (id ${id}, ${bytes} bytes).`],
        outputs: { ...outputs, 'artifact-upload-required': 'false' },
        nextStep: restore,
      };
    }
    const notes = [`Not uploaded: an actions/upload-artifact step after this one must save ${this.relativePath()} as "${this.settings.artifactName}".`];
    if (this.settings.artifactUpload && !this.options.inActions) notes.push('artifact-upload is true but this is not a GitHub Actions run: nothing was uploaded.');
    return {
      bytes,
      transferred: false,
      notes,
      outputs: { ...outputs, 'artifact-upload-required': 'true' },
      nextStep: [uploadSnippet(this.settings.artifactName, this.relativePath()), restore].filter(Boolean).join('\n\n'),
    };
  }

  private async uploadArtifact(databasePath: string, bytes: number): Promise<string> {
    const name = this.settings.artifactName;
    // Loaded lazily: only this path needs the artifact client and its dependencies.
    const { DefaultArtifactClient } = await import('@actions/artifact');
    const client = new DefaultArtifactClient();
    try {
      // A re-run attempt finds this run's artifact from the earlier attempt; names are unique per run.
      const { artifacts } = await client.listArtifacts({ latest: true });
      if (artifacts.some((a) => a.name === name)) await client.deleteArtifact(name);
      // Root is the file's folder, so the artifact holds just the file name: download-artifact restores it in place.
      const response = await client.uploadArtifact(name, [databasePath], path.dirname(databasePath));
      return String(response.id ?? 'unknown');
    } catch (e) {
      throw new ActionError('INTERNAL', `Uploading artifact "${name}" failed: ${e instanceof Error ? e.message : String(e)}. The updated database (${bytes} bytes) is still at ${databasePath}.`, {
        // Not a bug in track-metrics: usually the job lacks the runtime token or artifact storage is down.
        hint: `Save it with an actions/upload-artifact step that has if: failure() (name: ${name}, path: the artifact-path output), or re-run the job.`,
        cause: e,
      });
    }
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The folder download-artifact extracts into so the file lands at `relPath`. */
function dirOf(relPath: string): string {
  const dir = path.dirname(relPath);
  return dir === '' ? '.' : dir;
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

/**
 * The steps that restore the database on the next runs (shown on a first run): the newest
 * unexpired artifact of that name on this branch, downloaded into the folder the file belongs in.
 */
export function restoreSnippet(name: string, directory: string): string {
  return [
    '### On the next runs: restore the database first',
    '',
    `This was a first run. Put these steps **before** track-metrics so the next run continues this history (the job needs \`permissions: actions: read\`; see ${DOCS}):`,
    '',
    '```yaml',
    '- name: Find the last metrics database',
    '  id: last-metrics',
    '  env:',
    '    GH_TOKEN: ${{ github.token }}',
    `    ARTIFACT: ${yamlScalar(name)}`,
    '    BRANCH: ${{ github.head_ref || github.ref_name }}',
    '  run: |',
    '    run_id=$(gh api -X GET "repos/$GITHUB_REPOSITORY/actions/artifacts" -f name="$ARTIFACT" -F per_page=100 \\',
    "      --jq '[.artifacts[] | select(.expired | not) | select(.workflow_run.head_branch == env.BRANCH)][0].workflow_run.id // empty')",
    '    echo "run-id=$run_id" >> "$GITHUB_OUTPUT"',
    '- name: Restore metrics database',
    "  if: steps.last-metrics.outputs.run-id != ''",
    '  uses: actions/download-artifact@v4',
    '  with:',
    `    name: ${yamlScalar(name)}`,
    `    path: ${yamlScalar(directory)}`,
    '    run-id: ${{ steps.last-metrics.outputs.run-id }}',
    '    github-token: ${{ github.token }}',
    '```',
  ].join('\n');
}

function yamlScalar(s: string): string {
  return /^[A-Za-z0-9._\/-]+$/.test(s) ? s : JSON.stringify(s);
}
