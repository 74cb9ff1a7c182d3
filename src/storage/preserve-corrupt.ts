import * as fs from 'node:fs';

/** UTC timestamp safe in file names and S3 keys: 20261203T164501Z */
export function corruptSuffix(now = new Date()): string {
  return `.corrupt-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/** Moves a bad database aside (never overwritten, never deleted) and returns where it went. */
export function preserveCorruptFile(file: string, now = new Date()): string {
  let target = `${file}${corruptSuffix(now)}`;
  for (let i = 1; fs.existsSync(target); i++) target = `${file}${corruptSuffix(now)}-${i}`;
  fs.renameSync(file, target);
  return target;
}
