/**
 * Contract: the backend follows storage-type input > unentropy.json storage.type > sqlite-local,
 * and tells the workflow what its phases do (`transfers`: only S3 moves bytes; local and
 * artifact modes work on the file in place, workflow steps move it in artifact mode).
 * Settings-only precedence lives in storage-type-precedence.test.ts; this goes on to the backend.
 */
import { STORAGE_TYPE_CASES } from '../helpers/storage-type-cases';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveSettings } from '../../src/config/settings';
import { type StorageType, type UnentropyConfig } from '../../src/config/types';
import { ActionError } from '../../src/errors';
import { ArtifactLimitedBackend } from '../../src/storage/artifact-backend';
import { createBackend } from '../../src/storage/factory';
import { LocalBackend } from '../../src/storage/local-backend';
import { S3Backend } from '../../src/storage/s3-backend';

const metrics = [{ name: 'loc', type: 'numeric' as const, command: 'echo 1' }];
const phase = { signal: new AbortController().signal, log: () => undefined };

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tm-select-'));
}

function backendFor(opts: { input?: string; configType?: string; inputs?: Record<string, string>; workspace?: string; inActions?: boolean }) {
  const config: UnentropyConfig = {
    metrics,
    // a bucket in the file, so sqlite-s3 is constructible and only the type is under test
    storage: { ...(opts.configType !== undefined ? { type: opts.configType as StorageType } : {}), s3: { bucket: 'metrics-bucket' } },
  };
  const workspace = opts.workspace ?? tempDir();
  const settings = resolveSettings({
    inputs: { ...(opts.input !== undefined ? { 'storage-type': opts.input } : {}), ...opts.inputs },
    config,
    env: { RUNNER_TEMP: path.join(workspace, 'runner-temp') },
    workspace,
    configFile: 'unentropy.json',
  });
  return { settings, backend: createBackend(settings, { inActions: opts.inActions ?? false }), workspace };
}

const CLASS_OF: Record<StorageType, Function> = {
  'sqlite-s3': S3Backend,
  'sqlite-artifact': ArtifactLimitedBackend,
  'sqlite-local': LocalBackend,
};

describe('backend selection', () => {
  test.each(STORAGE_TYPE_CASES)('%s', (_label, input, configType, expected) => {
    const { backend, settings, workspace } = backendFor({ input, configType });
    expect(backend.type).toBe(expected);
    expect(backend).toBeInstanceOf(CLASS_OF[expected]);
    // Only S3 moves bytes in download/upload; the workflow relies on this to skip transfers.
    expect(backend.transfers).toBe(expected === 'sqlite-s3');
    // The working copy: the workspace for local/artifact (download-artifact puts it there), RUNNER_TEMP for S3.
    expect(path.dirname(settings.databasePath)).toBe(expected === 'sqlite-s3' ? path.join(workspace, 'runner-temp') : workspace);
    if (expected === 'sqlite-s3') expect(backend.location).toBe('s3://metrics-bucket/unentropy-metrics.db');
    if (expected === 'sqlite-artifact') expect(backend.location).toContain('unentropy-metrics');
  });

  // The artifact backend extends LocalBackend but must still say which mode it is.
  test('the artifact backend reports sqlite-artifact, not its base type', () => {
    const { backend } = backendFor({ input: 'sqlite-artifact' });
    expect(backend).toBeInstanceOf(LocalBackend);
    expect(backend.type).toBe('sqlite-artifact');
  });

  // Invalid storage types fail in resolveSettings, before any backend: storage-type-precedence.test.ts.

  test.each([
    ['artifact-upload', 'yes'],
    ['on-corrupt-database', 'overwrite'],
    ['artifact-name', 'metrics/db'],
  ])('invalid artifact-mode input %s=%s is CONFIG_INVALID naming the input', (name, value) => {
    let error: unknown;
    try {
      backendFor({ input: 'sqlite-artifact', inputs: { [name]: value } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActionError);
    expect((error as ActionError).code).toBe('CONFIG_INVALID');
    expect((error as ActionError).message).toContain(`\`${name}\``);
    expect((error as ActionError).message).toContain(JSON.stringify(value));
  });
});

describe('phase behaviour of the non-transferring backends', () => {
  test.each<StorageType>(['sqlite-local', 'sqlite-artifact'])('%s: download of a missing database is a first run that creates nothing', async (type) => {
    const { backend, settings } = backendFor({ input: type });
    const result = await backend.download(settings.databasePath, phase);
    expect(result.firstRun).toBe(true);
    expect(result.bytes).toBe(0);
    expect(result.notes.join(' ')).toContain(path.basename(settings.databasePath));
    expect(fs.existsSync(settings.databasePath)).toBe(false);
  });

  // Local mode: the file is the storage, so its upload phase has done its job (saved in place);
  // artifact mode leaves the transfer to a workflow step.
  test.each<[StorageType, boolean]>([
    ['sqlite-local', true],
    ['sqlite-artifact', false],
  ])('%s: upload moves no bytes and leaves the file as it is (saved: %s)', async (type, saved) => {
    const { backend, settings } = backendFor({ input: type });
    const bytes = Buffer.from(`stand-in database for ${type}`);
    fs.writeFileSync(settings.databasePath, bytes);
    const result = await backend.upload(settings.databasePath, phase);
    expect(result.transferred).toBe(saved);
    expect(result.bytes).toBe(bytes.length);
    expect(fs.readFileSync(settings.databasePath)).toEqual(bytes);
  });

  test('artifact upload sets the artifact outputs and a next step with the name and the workspace-relative path', async () => {
    const workspace = tempDir();
    const { backend, settings } = backendFor({
      input: 'sqlite-artifact',
      workspace,
      inputs: { 'artifact-name': 'team-metrics', 'database-path': 'data/metrics.db' },
    });
    await backend.download(settings.databasePath, phase); // first run: adds the restore steps
    fs.mkdirSync(path.dirname(settings.databasePath), { recursive: true });
    fs.writeFileSync(settings.databasePath, 'x');
    const result = await backend.upload(settings.databasePath, phase);
    expect(result.outputs).toEqual({
      'artifact-upload-required': 'true',
      'artifact-name': 'team-metrics',
      'artifact-path': path.join(workspace, 'data', 'metrics.db'),
    });
    expect(result.nextStep).toMatch(/^ {4}name: team-metrics$/m);
    expect(result.nextStep).toMatch(/^ {4}path: data\/metrics\.db$/m);
    // The restore step extracts into the folder, so the file lands back at database-path.
    expect(result.nextStep).toMatch(/^ {4}path: data$/m);
    expect(result.nextStep).toContain('actions/download-artifact@v4');
  });

  test('artifact-upload: true outside GitHub Actions uploads nothing and still asks for the upload step', async () => {
    const { backend, settings } = backendFor({ input: 'sqlite-artifact', inputs: { 'artifact-upload': 'true' }, inActions: false });
    fs.writeFileSync(settings.databasePath, 'x');
    const result = await backend.upload(settings.databasePath, phase);
    expect(result.transferred).toBe(false);
    expect(result.outputs?.['artifact-upload-required']).toBe('true');
    expect(result.notes.join(' ')).toMatch(/not a GitHub Actions run/);
  });

  test('artifact mode refuses a directory at database-path (download-artifact path set to the file name) and moves nothing', async () => {
    const { backend, settings } = backendFor({ input: 'sqlite-artifact' });
    const nested = path.join(settings.databasePath, path.basename(settings.databasePath));
    fs.mkdirSync(settings.databasePath);
    fs.writeFileSync(nested, 'restored bytes');
    await expect(backend.download(settings.databasePath, phase)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('a directory there holding unentropy-metrics.db'),
      hint: expect.stringContaining('path: .'),
    });
    expect(fs.readFileSync(nested, 'utf8')).toBe('restored bytes');
    expect(fs.readdirSync(path.dirname(settings.databasePath))).toEqual(['unentropy-metrics.db']);
  });

  test('artifact mode refuses to start a new history when the artifact was extracted into <artifact name>/', async () => {
    const { backend, settings, workspace } = backendFor({ input: 'sqlite-artifact' });
    fs.mkdirSync(path.join(workspace, 'unentropy-metrics'));
    fs.writeFileSync(path.join(workspace, 'unentropy-metrics', 'unentropy-metrics.db'), 'restored bytes');
    await expect(backend.download(settings.databasePath, phase)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(path.join('unentropy-metrics', 'unentropy-metrics.db')),
      hint: expect.stringContaining('name: unentropy-metrics'),
    });
    expect(fs.existsSync(settings.databasePath)).toBe(false);
  });
});
