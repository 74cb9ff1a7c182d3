#!/usr/bin/env node
// `npm run demo:s3`: the sqlite-s3 mode end to end on this machine. Starts a local S3-compatible
// server (s3rver) on a random loopback port, then runs the bundled action (dist/index.js) twice
// on this repository's unentropy.json, as a developer would outside GitHub Actions: the summary
// is printed to the terminal. The second run shows the trend against the first.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const S3rver = require('s3rver');

const ROOT = path.resolve(__dirname, '..');
const BUCKET = 'track-metrics-demo';
const KEY = 'demo/unentropy-metrics.db';

/** Async on purpose: the server runs in this process, a synchronous child would stall it. */
function runAction(env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'index.js')], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('close', (code) => resolve(code));
  });
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'track-metrics-demo-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: path.join(tmp, 's3'),
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  console.log(`Local S3 (s3rver) at ${endpoint}, bucket ${BUCKET}; database working copy under ${tmp}\n`);

  const env = { ...process.env };
  // Outside Actions: the summary goes to the terminal, commit and branch come from git.
  for (const name of ['GITHUB_ACTIONS', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY']) delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith('INPUT_')) delete env[name];
  Object.assign(env, {
    GITHUB_WORKSPACE: ROOT,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    'INPUT_STORAGE-TYPE': 'sqlite-s3',
    'INPUT_S3-ENDPOINT': endpoint,
    'INPUT_S3-BUCKET': BUCKET,
    'INPUT_DATABASE-KEY': KEY,
    'INPUT_DATABASE-PATH': path.join(tmp, 'work', 'unentropy-metrics.db'),
    'INPUT_REPORT-DIR': path.join(tmp, 'report'),
    // s3rver's fixed test credentials.
    'INPUT_S3-ACCESS-KEY-ID': 'S3RVER',
    'INPUT_S3-SECRET-ACCESS-KEY': 'S3RVER',
  });

  let status = 0;
  try {
    for (const run of [1, 2]) {
      console.log(`\n===== run ${run} of 2 =====\n`);
      const code = await runAction({ ...env, GITHUB_RUN_ID: `demo-${Date.now()}` });
      if (code !== 0) {
        console.error(`\nrun ${run} failed (exit ${code})`);
        status = 1;
        break;
      }
    }
    if (status === 0) console.log(`\nBoth runs succeeded: s3://${BUCKET}/${KEY} now holds 2 builds.`);
  } finally {
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(status);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
