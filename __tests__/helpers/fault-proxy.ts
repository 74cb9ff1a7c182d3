import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { Transform } from 'node:stream';

/**
 * A loopback HTTP proxy in front of s3rver that injects storage faults, per scenario:
 * error answers (500 / 503 SlowDown) N times then pass, connection resets, a connection that
 * is accepted and never answered, a response body cut short, 403 AccessDenied instead of
 * 404 for a missing key, a corrupted body, and a slow request body (to catch an upload midway).
 *
 * s3rver does not implement AbortMultipartUpload (it answers 405), so the proxy does: it drops
 * the upload's parts from s3rver's directory, as S3 would.
 */

export type S3Operation =
  | 'HeadBucket'
  | 'HeadObject'
  | 'GetObject'
  | 'PutObject'
  | 'CopyObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'Other';

export type Fault =
  /** answer with an S3 error document instead of forwarding */
  | { kind: 'error'; status: number; code: string; message?: string }
  /** destroy the connection without an answer */
  | { kind: 'reset' }
  /** accept and never answer */
  | { kind: 'hang' }
  /** forward, but stop the response body halfway and drop the connection */
  | { kind: 'truncate' }
  /** forward, but flip the bytes of the response body's first 64 bytes (same length) */
  | { kind: 'corrupt' }
  /** forward; an upstream 404 becomes 403 AccessDenied (S3 without s3:ListBucket) */
  | { kind: 'deny-missing' }
  /** forward the request body at this rate */
  | { kind: 'throttle'; bytesPerSecond: number };

export interface FaultRule {
  operation: S3Operation;
  fault: Fault;
  /** how many matching requests get the fault; then they pass (default: all) */
  times?: number;
}

export interface ProxiedRequest {
  operation: S3Operation;
  method: string;
  url: string;
  /** what the client got: an HTTP status, or the fault applied */
  outcome: string;
}

export interface FaultProxy {
  endpoint: string;
  /** every request seen, in order */
  requests: ProxiedRequest[];
  /** replaces the active rules (and their counters) */
  setRules(rules: FaultRule[]): void;
  /** no rules, no recorded requests, no onRequest hook: a clean start for the next scenario */
  reset(): void;
  count(operation: S3Operation): number;
  /** called for each request as it arrives (e.g. to send a signal mid-upload) */
  onRequest?: (request: ProxiedRequest) => void;
  stop(): Promise<void>;
}

export function operationOf(req: http.IncomingMessage): S3Operation {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const q = url.searchParams;
  const onKey = url.pathname.split('/').filter(Boolean).length > 1;
  switch (req.method) {
    case 'HEAD':
      return onKey ? 'HeadObject' : 'HeadBucket';
    case 'GET':
      // The SDK adds ?x-id=GetObject; sub-resources (?acl, ?uploadId, ...) are other operations.
      return onKey && [...q.keys()].every((k) => k === 'x-id') ? 'GetObject' : 'Other';
    case 'PUT':
      if (q.has('uploadId') && q.has('partNumber')) return 'UploadPart';
      if (req.headers['x-amz-copy-source']) return 'CopyObject';
      return onKey ? 'PutObject' : 'Other';
    case 'POST':
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      return 'Other';
    case 'DELETE':
      return q.has('uploadId') ? 'AbortMultipartUpload' : 'Other';
    default:
      return 'Other';
  }
}

function errorDocument(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;
}

/** Where s3rver keeps the parts of unfinished multipart uploads of a bucket. */
export function s3rverUploadsDir(s3rverDir: string, bucket: string): string {
  return path.join(s3rverDir, bucket, '._S3rver_uploads');
}

export async function startFaultProxy(upstream: { port: number; dir: string }): Promise<FaultProxy> {
  let rules: Array<FaultRule & { used: number }> = [];
  const requests: ProxiedRequest[] = [];
  const proxy: FaultProxy = {
    endpoint: '',
    requests,
    setRules: (next) => {
      rules = next.map((r) => ({ ...r, used: 0 }));
    },
    reset: () => {
      rules = [];
      requests.length = 0;
      proxy.onRequest = undefined;
    },
    count: (op) => requests.filter((r) => r.operation === op).length,
    stop: async () => undefined,
  };

  const takeFault = (operation: S3Operation): Fault | undefined => {
    const rule = rules.find((r) => r.operation === operation && r.used < (r.times ?? Infinity));
    if (!rule) return undefined;
    rule.used++;
    return rule.fault;
  };

  const server = http.createServer((req, res) => {
    const operation = operationOf(req);
    const record: ProxiedRequest = { operation, method: req.method ?? '', url: req.url ?? '', outcome: 'pending' };
    requests.push(record);
    proxy.onRequest?.(record);
    const fault = takeFault(operation);

    if (fault?.kind === 'hang') {
      record.outcome = 'hang';
      req.resume();
      return;
    }
    if (fault?.kind === 'reset') {
      record.outcome = 'reset';
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'error') {
      record.outcome = `${fault.status} ${fault.code}`;
      req.resume();
      const body = req.method === 'HEAD' ? '' : errorDocument(fault.code, fault.message ?? fault.code);
      res.writeHead(fault.status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (operation === 'AbortMultipartUpload') {
      // s3rver answers 405 here; do what S3 does: forget the upload and its parts.
      const uploadId = new URL(req.url ?? '/', 'http://proxy').searchParams.get('uploadId') ?? '';
      const bucket = new URL(req.url ?? '/', 'http://proxy').pathname.split('/').filter(Boolean)[0] ?? '';
      const dir = path.join(s3rverUploadsDir(upstream.dir, bucket), path.basename(uploadId));
      const existed = uploadId !== '' && fs.existsSync(dir);
      fs.rmSync(dir, { recursive: true, force: true });
      record.outcome = existed ? '204 aborted' : '404 NoSuchUpload';
      req.resume();
      if (existed) return res.writeHead(204).end();
      const body = errorDocument('NoSuchUpload', 'The specified upload does not exist.');
      res.writeHead(404, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
      return res.end(body);
    }

    const upstreamReq = http.request(
      { host: '127.0.0.1', port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        const status = up.statusCode ?? 502;
        if (fault?.kind === 'deny-missing' && status === 404) {
          up.resume();
          record.outcome = '403 AccessDenied (was 404)';
          const body = req.method === 'HEAD' ? '' : errorDocument('AccessDenied', 'Access Denied');
          res.writeHead(403, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        res.writeHead(status, up.headers);
        record.outcome = String(status);
        if (fault?.kind === 'truncate' && status === 200) {
          const length = Number(up.headers['content-length'] ?? 0);
          let sent = 0;
          record.outcome = `${status} truncated`;
          up.on('data', (chunk: Buffer) => {
            if (sent >= length / 2) return;
            const part = chunk.subarray(0, Math.max(0, Math.ceil(length / 2) - sent));
            sent += part.length;
            res.write(part);
            if (sent >= length / 2) setTimeout(() => res.socket?.destroy(), 20);
          });
          return;
        }
        if (fault?.kind === 'corrupt' && status === 200) {
          record.outcome = `${status} corrupted`;
          let offset = 0;
          up.pipe(
            new Transform({
              transform(chunk: Buffer, _enc, done) {
                const copy = Buffer.from(chunk);
                for (let i = 0; i < copy.length && offset + i < 64; i++) copy[i] = copy[i]! ^ 0xff;
                offset += copy.length;
                done(null, copy);
              },
            }),
          ).pipe(res);
          return;
        }
        up.pipe(res);
      },
    );
    upstreamReq.on('error', () => res.socket?.destroy());
    // The client went away (abort, cancellation): drop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    if (fault?.kind === 'throttle') {
      record.outcome = 'throttled';
      req.pipe(throttle(fault.bytesPerSecond)).pipe(upstreamReq);
    } else {
      req.pipe(upstreamReq);
    }
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  proxy.endpoint = `http://127.0.0.1:${port}`;
  proxy.stop = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return proxy;
}

/** Passes bytes through at about `bytesPerSecond`, in small slices. */
function throttle(bytesPerSecond: number): Transform {
  const slice = Math.max(1024, Math.floor(bytesPerSecond / 20));
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let offset = 0;
      const next = () => {
        if (offset >= chunk.length) return done();
        const part = chunk.subarray(offset, offset + slice);
        offset += part.length;
        this.push(part);
        setTimeout(next, (part.length / bytesPerSecond) * 1000);
      };
      next();
    },
  });
}
