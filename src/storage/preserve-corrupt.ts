import * as fs from 'node:fs';

/** UTC timestamp safe in file names and S3 keys: 20261203T164501Z */
export function utcStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function corruptSuffix(now = new Date()): string {
  return `.corrupt-${utcStamp(now)}`;
}

/**
 * Moves `from` aside as `<nameAs>.<kind>-<UTC time>` (never overwriting, never deleting) and
 * returns where it went. `nameAs` lets a rejected download be kept under the database's name.
 */
export function moveAside(from: string, kind: 'corrupt' | 'stale', nameAs = from, now = new Date()): string {
  const base = `${nameAs}.${kind}-${utcStamp(now)}`;
  let target = base;
  for (let i = 1; fs.existsSync(target); i++) target = `${base}-${i}`;
  fs.renameSync(from, target);
  return target;
}

/** Moves a bad database aside and returns where it went. */
export function preserveCorruptFile(file: string, now = new Date()): string {
  return moveAside(file, 'corrupt', file, now);
}
