import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

/**
 * A real S3 API (s3rver) on 127.0.0.1 with a random port, files in a temp dir.
 * Needs path-style addressing. Credentials: access key id S3RVER / secret S3RVER.
 * s3rver checks that the access key id exists (else InvalidAccessKeyId) but does NOT verify
 * SigV4 signatures, so a wrong secret with the right key id is accepted.
 */

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
// s3rver ships no types; it is CommonJS.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as S3rverCtor;

export const S3RVER_ACCESS_KEY_ID = 'S3RVER';
export const S3RVER_SECRET_ACCESS_KEY = 'S3RVER';

export interface S3TestServer {
  endpoint: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export async function startS3Server(opts: { buckets?: string[] } = {}): Promise<S3TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
  });
  const address = await server.run();
  const port = address.port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
