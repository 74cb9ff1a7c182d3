import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Settings, StorageType } from '../config/types';
import { MetricsStore } from '../db/metrics-store';
import { ActionError } from '../errors';
import type { DownloadResult, PhaseOptions, StorageBackend, UploadResult } from './backend';
import { corruptSuffix, moveAside } from './preserve-corrupt';
import { createS3Client, resolveCredentialsOrFail } from './s3-client';
import { mapS3Error } from './s3-errors';
import { TransientError, isTransientError, withRetry } from './retry';

type Validation = { ok: true } | { ok: false; reason: string };

export interface S3BackendOptions {
  /** retries after the first try for transient failures (the retry-attempts input) */
  retryAttempts: number;
  /** per request, ms (default 120 s); the phase timeout comes through PhaseOptions.signal */
  requestTimeoutMs?: number;
  /** a ready client (tests); otherwise one is built from the settings */
  client?: S3Client;
  /** what to do when the stored database is not valid SQLite (default fail) */
  onCorruptDatabase?: 'fail' | 'recreate';
  /** deep check of a database file (default MetricsStore.validateFile: header + quick_check) */
  validateFile?: (file: string) => Validation | Promise<Validation>;
  /** first retry back-off, ms (default 1000); tests shorten it */
  retryMinTimeoutMs?: number;
}

/** Files up to this size go up in one PutObject; larger ones as a multipart upload. */
export const SINGLE_PUT_MAX_BYTES = 16 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;
const CONTENT_TYPE = 'application/vnd.sqlite3';
const ABORT_MULTIPART_TIMEOUT_MS = 3000;

/** What this run saw of the remote object, for the concurrent-update guard. */
interface RemoteState {
  /** download() has looked */
  checked: boolean;
  /** ETag of the object we downloaded (or last uploaded); undefined when there was none */
  etag?: string;
}

/**
 * `sqlite-s3`: the database is one object in an S3-compatible bucket. Download streams it to
 * a temp file and only moves it into place once it is valid; upload refuses empty or invalid
 * files, refuses to overwrite an object another run changed meanwhile, and verifies size and
 * SHA-256 of what was stored.
 */
export class S3Backend implements StorageBackend {
  readonly type: StorageType = 'sqlite-s3';
  readonly transfers = true;
  readonly location: string;

  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly key: string;
  private remote: RemoteState = { checked: false };
  private credentialsChecked = false;

  constructor(
    private readonly settings: S3Settings,
    private readonly options: S3BackendOptions,
  ) {
    if (!settings.bucket) {
      throw new ActionError('S3_CONFIG_MISSING', 'storage-type is sqlite-s3 but no bucket is set.', {
        hint: 'Set the s3-bucket input or storage.s3.bucket in unentropy.json.',
      });
    }
    this.bucket = settings.bucket;
    this.key = settings.key;
    this.location = `s3://${this.bucket}/${this.key}`;
    this.client = options.client ?? createS3Client(settings, { requestTimeoutMs: options.requestTimeoutMs ?? 120_000 });
  }

  async download(databasePath: string, options: PhaseOptions): Promise<DownloadResult> {
    await this.ensureCredentials();
    await fs.promises.mkdir(path.dirname(databasePath), { recursive: true });

    const temp = tempPathFor(databasePath, 'download');
    let got: { bytes: number; etag?: string } | 'no-such-key';
    try {
      // GetObject first: its error body says NoSuchKey or NoSuchBucket, so the usual run costs one
      // request. A 404 without that body (a gateway or proxy answering) is not a definite answer:
      // a listing, which always has a body, must confirm the key is absent.
      const first = await this.call('GetObject', options, (signal) => this.fetchTo(temp, signal), (err) =>
        isNoSuchKey(err) ?? (isBare404(err) ? ('ambiguous' as const) : undefined),
      );
      got = first === 'ambiguous' ? await this.confirmAbsent(options) : first;
    } catch (err) {
      await fs.promises.rm(temp, { force: true });
      throw err;
    }

    // Journal / WAL files of an earlier working copy would be replayed into the new one on open.
    await removeSqliteSidecars(databasePath);
    if (got === 'no-such-key') {
      this.remote = { checked: true, etag: undefined };
      const notes = [`No database at ${this.location} yet: starting a new one.`];
      const aside = moveLeftoverAside(databasePath);
      if (aside) notes.push(`A file already at ${databasePath} was moved to ${aside}.`);
      return { firstRun: true, bytes: 0, notes };
    }

    this.remote = { checked: true, etag: got.etag };
    const check = await this.validate(temp);
    if (!check.ok) return this.handleCorrupt(temp, databasePath, check.reason, got.etag, options);

    await fs.promises.rename(temp, databasePath);
    return { firstRun: false, bytes: got.bytes, notes: [`Downloaded ${formatBytes(got.bytes)} from ${this.location}.`] };
  }

  async upload(databasePath: string, options: PhaseOptions): Promise<UploadResult> {
    await this.ensureCredentials();
    const size = await this.checkUploadable(databasePath);
    // Independent: hashing is local CPU, the guard is a round trip.
    const [sha256] = await Promise.all([sha256File(databasePath, options.signal), this.guardConcurrentUpdate(options)]);

    const multipart = size > SINGLE_PUT_MAX_BYTES;
    // The write is also conditional (If-Match the ETag we downloaded, or If-None-Match on a first
    // run), closing the window between the HeadObject check above and the write.
    const put = (conditional: boolean) =>
      this.call(
        multipart ? 'CreateMultipartUpload' : 'PutObject',
        options,
        (signal) =>
          multipart ? this.putMultipart(databasePath, sha256, signal, conditional) : this.putSingle(databasePath, size, sha256, signal, conditional),
        (err) => (isPreconditionFailed(err) ? ('conflict' as const) : conditional && isNotImplemented(err) ? ('unsupported' as const) : undefined),
      );
    let outcome = await put(true);
    if (outcome === 'unsupported') {
      options.log('This endpoint does not support conditional writes; relying on the HeadObject check made just before.');
      outcome = await put(false);
    }
    if (outcome === 'conflict') throw this.concurrentUpdate('the conditional write was refused: the stored object changed');

    const head = await this.call('HeadObject', options, (signal) =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key }), { abortSignal: signal }),
    );
    const storedSha = head.Metadata?.sha256;
    if (head.ContentLength !== size || storedSha !== sha256) {
      const found: string[] = [];
      if (head.ContentLength !== size) found.push(`${head.ContentLength ?? 'no'} bytes instead of ${size}`);
      if (storedSha !== sha256) found.push(storedSha ? `SHA-256 ${storedSha} instead of ${sha256}` : 'no sha256 metadata');
      throw new ActionError(
        'S3_UPLOAD_VERIFY_FAILED',
        `The database stored at ${this.location} does not match what was uploaded: ${found.join(', ')}.`,
        {
          hint:
            'Re-run the job. If it keeps failing, check that the endpoint keeps object metadata (x-amz-meta-*) and ' +
            'that nothing else writes this key.',
        },
      );
    }
    this.remote = { checked: true, etag: head.ETag };
    return {
      bytes: size,
      transferred: true,
      notes: [`Uploaded ${formatBytes(size)} to ${this.location}${multipart ? ' (multipart)' : ''}; size and SHA-256 verified.`],
    };
  }

  /**
   * Keeps a server-side copy of the stored object next to it (key.corrupt-<UTC time>), so
   * starting over never loses the only copy. Returns the copy's location.
   */
  async quarantine(options: PhaseOptions, etag?: string): Promise<string> {
    const target = `${this.key}${corruptSuffix()}`;
    const source = `${this.bucket}/${this.key.split('/').map(encodeURIComponent).join('/')}`;
    await this.call('CopyObject', options, (signal) =>
      this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: target, CopySource: source, CopySourceIfMatch: etag }),
        { abortSignal: signal },
      ),
    );
    return `s3://${this.bucket}/${target}`;
  }

  private async ensureCredentials(): Promise<void> {
    if (this.credentialsChecked) return;
    await resolveCredentialsOrFail(this.client);
    this.credentialsChecked = true;
  }

  /**
   * After a GetObject 404 without an S3 error code: the key is absent only if a listing of it
   * (which always carries a body, and fails with NoSuchBucket / AccessDenied) comes back without it.
   */
  private async confirmAbsent(options: PhaseOptions): Promise<'no-such-key'> {
    const listed = await this.call('ListObjectsV2', options, (signal) =>
      this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key, MaxKeys: 1 }), { abortSignal: signal }),
    );
    if ((listed.Contents ?? []).some((o) => o.Key === this.key)) {
      throw new ActionError(
        'S3_NETWORK',
        `GetObject of ${this.location} answered 404 without an S3 error, but the bucket lists the object. ` +
          'Not treating this as a first run: the stored history is left as it is.',
        { hint: 'Something between the runner and the storage (a proxy, gateway or CDN) answers for it; point s3-endpoint at the storage API itself and re-run.' },
      );
    }
    options.log(`GetObject answered a bare 404; the listing of ${this.location} confirms there is no database yet.`);
    return 'no-such-key';
  }

  /** One GetObject, streamed to `temp`; a short body is a transient failure. */
  private async fetchTo(temp: string, signal: AbortSignal): Promise<{ bytes: number; etag?: string }> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key }), { abortSignal: signal });
    if (!res.Body) throw new TransientError('TruncatedBodyError', 'GetObject returned no body');
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(res.Body as Readable, counter, fs.createWriteStream(temp), { signal });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new TransientError('TruncatedBodyError', `the download stopped after ${bytes} bytes: ${(err as Error).message}`);
    }
    if (res.ContentLength !== undefined && bytes !== res.ContentLength) {
      throw new TransientError(
        'TruncatedBodyError',
        `the download ended after ${bytes} bytes but the object has ${res.ContentLength}`,
      );
    }
    return { bytes, etag: res.ETag };
  }

  /**
   * The stored object is not a valid database. Before anything else it is copied server-side to
   * <key>.corrupt-<UTC time> (in both modes), so neither failing nor starting over can lose it.
   */
  private async handleCorrupt(
    temp: string,
    databasePath: string,
    reason: string,
    etag: string | undefined,
    options: PhaseOptions,
  ): Promise<DownloadResult> {
    const what = `The database at ${this.location} is not a valid metrics database: ${reason.split(temp).join('the download')}.`;
    let remoteCopy: string | undefined;
    let copyFailure: string | undefined;
    try {
      remoteCopy = await this.quarantine(options, etag);
    } catch (err) {
      copyFailure = err instanceof ActionError ? err.message : String(err);
    }
    // A local copy as well: it is what this run actually saw, and it survives a failed server-side copy.
    const local = moveAside(temp, 'corrupt', databasePath);

    if (!remoteCopy) {
      throw new ActionError(
        'DB_CORRUPT',
        `${what} It could not be copied aside on the server (${copyFailure}), so nothing was replaced; the downloaded copy is at ${local}.`,
        {
          hint:
            `Grant s3:GetObject and s3:PutObject on ${this.key}.corrupt-* in bucket ${this.bucket} (the copy key), ` +
            'or move the object aside yourself and re-run.',
        },
      );
    }
    if (this.options.onCorruptDatabase !== 'recreate') {
      throw new ActionError(
        'DB_CORRUPT',
        `${what} It was copied to ${remoteCopy} and the stored object was left unchanged.`,
        {
          hint:
            `Restore a good copy to ${this.location} (e.g. an earlier version, if the bucket keeps versions), ` +
            'or set on-corrupt-database: recreate to start a new history (the corrupt object stays preserved at its copy).',
        },
      );
    }
    // A leftover working copy is not the corrupt one (that was the download): label it stale.
    moveLeftoverAside(databasePath);
    return {
      firstRun: true,
      bytes: 0,
      preservedCorruptCopy: remoteCopy,
      notes: [`${what} The old object was preserved at ${remoteCopy} and a new database was started.`],
    };
  }

  private async checkUploadable(databasePath: string): Promise<number> {
    let size: number;
    try {
      size = (await fs.promises.stat(databasePath)).size;
    } catch (err) {
      throw refuse(this.location, `${databasePath} cannot be read (${(err as Error).message})`);
    }
    if (size === 0) throw refuse(this.location, `${databasePath} is empty (0 bytes)`);
    const check = await this.validate(databasePath);
    if (!check.ok) throw refuse(this.location, check.reason);
    return size;
  }

  /** Refuses to overwrite an object that changed since download() looked at it. */
  private async guardConcurrentUpdate(options: PhaseOptions): Promise<void> {
    const head = await this.call(
      'HeadObject',
      options,
      (signal) => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key }), { abortSignal: signal }),
      (err) => (isMissingObject(err) ? ('absent' as const) : undefined),
    );
    const current = head === 'absent' ? undefined : (head.ETag ?? '(no ETag)');
    const expected = this.remote.checked ? this.remote.etag : undefined;
    if (current === expected) return;
    const found = current === undefined ? 'it is gone' : expected === undefined ? `it now exists (ETag ${current})` : `its ETag changed from ${expected} to ${current}`;
    throw this.concurrentUpdate(found);
  }

  private concurrentUpdate(found: string): ActionError {
    const before = this.remote.etag === undefined ? 'there was no database there when this run started' : 'this run downloaded it';
    return new ActionError(
      'CONCURRENT_UPDATE',
      `Another run updated the database at ${this.location} meanwhile (${before}; ${found}). Nothing was uploaded, so its changes are kept.`,
      {
        hint: 'Re-run the job to record this build on top of the newer database. To avoid this, put the workflow in a `concurrency:` group so runs sharing this database do not overlap.',
      },
    );
  }

  /** If-Match what this run downloaded, or If-None-Match on a first run: a write that lost a race fails (412). */
  private writeCondition(conditional: boolean): { IfMatch?: string; IfNoneMatch?: string } {
    if (!conditional || !this.remote.checked) return {};
    return this.remote.etag ? { IfMatch: this.remote.etag } : { IfNoneMatch: '*' };
  }

  private async putSingle(file: string, size: number, sha256: string, signal: AbortSignal, conditional: boolean): Promise<void> {
    const condition = this.writeCondition(conditional);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key,
        Body: fs.createReadStream(file),
        ContentLength: size,
        ContentType: CONTENT_TYPE,
        Metadata: metadataFor(sha256),
        ...condition,
      }),
      { abortSignal: signal },
    );
  }

  private async putMultipart(file: string, sha256: string, signal: AbortSignal, conditional: boolean): Promise<void> {
    const upload = new Upload({
      client: this.client,
      // lib-storage passes the condition on to CompleteMultipartUpload, where it is checked.
      params: {
        Bucket: this.bucket,
        Key: this.key,
        Body: fs.createReadStream(file),
        ContentType: CONTENT_TYPE,
        Metadata: metadataFor(sha256),
        ...this.writeCondition(conditional),
      },
      partSize: PART_SIZE,
      queueSize: 4,
      // On failure the Upload aborts the multipart upload so no orphaned parts keep costing.
      leavePartsOnError: false,
    });
    // Cancel or timeout: stop sending parts, then make sure the unfinished multipart upload is
    // aborted on the server before we return (the process exits right after). The stored object
    // is untouched: only CompleteMultipartUpload replaces it.
    const onAbort = () => void upload.abort().catch(() => undefined);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } catch (err) {
      if (signal.aborted) await this.abortMultipart(upload.uploadId);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Best effort, bounded: a run that is being cancelled must still exit promptly. */
  private async abortMultipart(uploadId: string | undefined): Promise<void> {
    if (!uploadId) return;
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId }), {
        abortSignal: AbortSignal.timeout(ABORT_MULTIPART_TIMEOUT_MS),
      });
    } catch {
      // lib-storage tries too; an orphaned upload costs storage, never data.
    }
  }

  private async validate(file: string): Promise<Validation> {
    const validate = this.options.validateFile ?? ((f: string) => MetricsStore.validateFile(f));
    return validate(file);
  }

  /**
   * Runs one S3 step with retries for transient failures, then maps whatever is left to an
   * ActionError. `settle` turns an expected failure into a value (e.g. NoSuchKey).
   */
  private async call<T, S = never>(
    operation: string,
    options: PhaseOptions,
    fn: (signal: AbortSignal) => Promise<T>,
    settle?: (err: unknown) => S | undefined,
  ): Promise<T | S> {
    try {
      return await withRetry(() => fn(options.signal), {
        attempts: this.options.retryAttempts,
        signal: options.signal,
        log: options.log,
        what: `S3 ${operation} of ${this.location}`,
        minTimeoutMs: this.options.retryMinTimeoutMs,
        isTransient: settle ? (err) => settle(err) === undefined && isTransientError(err) : undefined,
      });
    } catch (err) {
      const settled = settle?.(err);
      if (settled !== undefined) return settled;
      throw this.mapError(operation, err);
    }
  }

  private mapError(operation: string, err: unknown): ActionError {
    return mapS3Error(err, {
      operation,
      bucket: this.bucket,
      key: this.key,
      region: this.settings.region,
      endpoint: this.settings.endpoint,
      secrets: [this.settings.secretAccessKey, this.settings.sessionToken],
    });
  }
}

/** The S3 error code (or SDK error name) and HTTP status of a failed request. */
function s3Failure(err: unknown): { name?: string; status?: number } {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return { name: e?.Code ?? e?.name, status: e?.$metadata?.httpStatusCode };
}

/** 412 (the If-Match / If-None-Match condition failed) or 409 (a conflicting conditional write). */
function isPreconditionFailed(err: unknown): boolean {
  const { name, status } = s3Failure(err);
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412;
}

function isNotImplemented(err: unknown): boolean {
  const { name, status } = s3Failure(err);
  return name === 'NotImplemented' || status === 501;
}

function isNoSuchKey(err: unknown): 'no-such-key' | undefined {
  return s3Failure(err).name === 'NoSuchKey' ? 'no-such-key' : undefined;
}

/** A 404 without an S3 error code (some providers, or a proxy): key or bucket, we cannot tell yet. */
function isBare404(err: unknown): boolean {
  const { name, status } = s3Failure(err);
  return status === 404 && name !== 'NoSuchBucket' && name !== 'NoSuchKey';
}

/** HeadObject's bodiless 404 (NotFound), as opposed to a missing bucket. */
function isMissingObject(err: unknown): boolean {
  const { name, status } = s3Failure(err);
  if (name === 'NoSuchBucket') return false;
  return name === 'NotFound' || name === 'NoSuchKey' || status === 404;
}

function refuse(location: string, reason: string): ActionError {
  return new ActionError(
    'INTERNAL',
    `Refusing to upload the database to ${location}: ${reason}. The stored database was left unchanged.`,
    { hint: 'This is a bug in track-metrics (the working copy should always be a valid database); please report it with the log.' },
  );
}

function metadataFor(sha256: string): Record<string, string> {
  return { sha256, tool: 'track-metrics' };
}

/**
 * The working copy must be the remote one or nothing: a file left at databasePath by an earlier
 * run is never taken as history. Moved aside (not deleted); returns where, if anything was there.
 */
function moveLeftoverAside(databasePath: string): string | undefined {
  return fs.existsSync(databasePath) ? moveAside(databasePath, 'stale') : undefined;
}

async function removeSqliteSidecars(databasePath: string): Promise<void> {
  await Promise.all(['-journal', '-wal', '-shm'].map((suffix) => fs.promises.rm(`${databasePath}${suffix}`, { force: true })));
}

async function sha256File(file: string, signal: AbortSignal): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { signal, highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function tempPathFor(file: string, purpose: string): string {
  return `${file}.${purpose}-${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
