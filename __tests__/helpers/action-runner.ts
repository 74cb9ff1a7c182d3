import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** The runtimes GitHub may run a `node20` action on: Node 20 itself, and Node 24 (current runners). */
export const RUNTIMES = {
  node20: process.execPath,
  node24: path.join(ROOT, '.tmp', 'node24', 'bin', 'node'),
} as const;
export type Runtime = keyof typeof RUNTIMES;

export function makeTempDir(prefix = 'tm-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A folder holding only action.yml and dist/, as the runner checks the action out: proves the
 * bundle needs no node_modules.
 */
export function prepareActionDir(): string {
  const dir = makeTempDir('tm-action-');
  fs.copyFileSync(path.join(ROOT, 'action.yml'), path.join(dir, 'action.yml'));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  return dir;
}

export interface ActionRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  outputFile: string;
  summaryFile: string;
  durationMs: number;
}

/** Parses the GITHUB_OUTPUT file format written by @actions/core (name<<delimiter ... delimiter). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (m) {
      const [, name, delim] = m;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]);
      out[name] = value.join('\n');
    } else if (lines[i].includes('=')) {
      const idx = lines[i].indexOf('=');
      out[lines[i].slice(0, idx)] = lines[i].slice(idx + 1);
    }
  }
  return out;
}

export interface RunOptions {
  runtime?: Runtime;
  actionDir: string;
  workspace: string;
  inputs?: Record<string, string>;
  /** extra environment (GITHUB_* context overrides etc.) */
  env?: Record<string, string>;
  runId?: string;
  runAttempt?: string;
  /** called once the process has started (e.g. to send it a signal) */
  onStart?: (child: import('node:child_process').ChildProcess) => void;
  timeoutMs?: number;
}

/** Runs dist/index.js the way GitHub's runner does: INPUT_* env, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files. */
export async function runAction(options: RunOptions): Promise<ActionRun> {
  const runtime = options.runtime ?? 'node20';
  const files = makeTempDir('tm-files-');
  const outputFile = path.join(files, 'output');
  const summaryFile = path.join(files, 'summary');
  const runnerTemp = path.join(files, 'runner-temp');
  fs.mkdirSync(runnerTemp);
  fs.writeFileSync(outputFile, '');
  fs.writeFileSync(summaryFile, '');

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? files,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_SHA: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    GITHUB_REF_NAME: 'main',
    GITHUB_RUN_ID: options.runId ?? String(1000 + Math.floor(Math.random() * 1e6)),
    GITHUB_RUN_NUMBER: '7',
    GITHUB_RUN_ATTEMPT: options.runAttempt ?? '1',
    GITHUB_ACTOR: 'octocat',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REPOSITORY: 'acme/widgets',
    GITHUB_WORKSPACE: options.workspace,
    RUNNER_TEMP: runnerTemp,
    // No AWS credentials or config from the developer's machine may leak into a test.
    AWS_EC2_METADATA_DISABLED: 'true',
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.inputs ?? {})) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }

  const started = Date.now();
  const child = spawn(RUNTIMES[runtime], [path.join(options.actionDir, 'dist', 'index.js')], {
    cwd: options.workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onStart?.(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  return {
    code,
    signal,
    stdout,
    stderr,
    outputs: parseOutputFile(fs.readFileSync(outputFile, 'utf8')),
    summary: fs.readFileSync(summaryFile, 'utf8'),
    outputFile,
    summaryFile,
    durationMs: Date.now() - started,
  };
}

/** A workspace with an unentropy.json of the given metrics. */
export function makeWorkspace(config: unknown): string {
  const dir = makeTempDir('tm-ws-');
  fs.writeFileSync(path.join(dir, 'unentropy.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return dir;
}
