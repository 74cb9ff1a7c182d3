import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MetricsStore } from '../../src/db/metrics-store';
import { openDriver } from '../../src/db/open-driver';
import { buildContext, DEFINITIONS, label, numeric } from './db-scenario';

/**
 * The bytes of a valid metrics database with `builds` builds (coverage 80, 81, …; status
 * seed-0, seed-1, …), optionally padded with random blobs to about `paddingBytes` more.
 * MetricsStore.validateFile accepts tables of its own besides the schema tables, so the padding
 * keeps it valid while making it large enough for multipart uploads; random bytes so nothing
 * along the way can compress them into a small transfer.
 */
export function makeDatabaseBytes(opts: { builds?: number; paddingBytes?: number } = {}): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-seed-'));
  const file = path.join(dir, 'seed.db');
  const store = MetricsStore.open(file);
  for (let i = 0; i < (opts.builds ?? 2); i++) {
    store.recordBuild(buildContext({ commitSha: `${i}`.repeat(40), runId: `${500 + i}`, runNumber: i + 1 }), DEFINITIONS, [
      numeric('coverage', 80 + i),
      label('status', `seed-${i}`),
    ]);
  }
  store.close();
  if (opts.paddingBytes) {
    // Through the project's driver: jest cannot load better-sqlite3's addon a second time.
    const db = openDriver(file);
    db.exec('CREATE TABLE IF NOT EXISTS test_padding (data BLOB)');
    const insert = db.prepare('INSERT INTO test_padding (data) VALUES (?)');
    db.transaction(() => {
      for (let left = opts.paddingBytes!; left > 0; left -= 1024 * 1024) insert.run(crypto.randomBytes(Math.min(left, 1024 * 1024)));
    });
    db.close();
  }
  const bytes = fs.readFileSync(file);
  fs.rmSync(dir, { recursive: true, force: true });
  return bytes;
}
