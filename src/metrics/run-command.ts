/** Runs one metric command through the platform shell, with bounded output and a hard timeout. */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';

export interface RunCommandOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** bytes of stdout kept (the tail); default 64 KiB */
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

export interface RunCommandResult {
  /** null when the shell was ended by a signal */
  exitCode: number | null;
  signal: string | null;
  stdoutTail: string;
  stderrTail: string;
  timedOut: boolean;
  /** true when stdout or stderr was longer than what was kept */
  truncated: boolean;
  durationMs: number;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
const STDERR_TAIL_BYTES = 4 * 1024;
/** Between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;
/**
 * After the shell exits, how long to wait for its pipes to close. A background process
 * (`cmd &`) can hold them open forever; its output is not part of the value anyway.
 */
const DRAIN_GRACE_MS = 500;
const IS_WINDOWS = process.platform === 'win32';

/** Keeps only the last `limit` bytes written to it, so a chatty command cannot grow memory. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.kept += chunk.length;
    // Drop whole chunks that lie entirely before the window.
    while (this.chunks.length > 1 && this.kept - this.chunks[0].length >= this.limit) {
      this.kept -= this.chunks.shift()!.length;
    }
  }

  get truncated(): boolean {
    return this.total > this.limit;
  }

  toString(): string {
    let buf = Buffer.concat(this.chunks);
    if (buf.length > this.limit) {
      buf = buf.subarray(buf.length - this.limit);
      // The cut may land inside a UTF-8 sequence; skip its continuation bytes.
      let start = 0;
      while (start < buf.length && start < 4 && (buf[start] & 0xc0) === 0x80) start++;
      buf = buf.subarray(start);
    }
    return buf.toString('utf8');
  }
}

/**
 * Runs `command` with `/bin/sh -c` (POSIX) or `cmd.exe /d /s /c` (Windows). stdin is closed.
 * On timeout or abort the whole process tree is stopped (SIGTERM, then SIGKILL after 2 s)
 * before the promise resolves. Rejects only when the shell cannot be started.
 */
export function runCommand(command: string, options: RunCommandOptions): Promise<RunCommandResult> {
  const started = Date.now();
  const stdout = new TailBuffer(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES);
  const stderr = new TailBuffer(STDERR_TAIL_BYTES);

  return new Promise<RunCommandResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve(result(null, null, false));
      return;
    }

    let child: ChildProcess;
    try {
      child = spawn(command, {
        cwd: options.cwd,
        env: options.env,
        // Node's shell option is exactly `/bin/sh -c` / `cmd.exe /d /s /c "..."`.
        shell: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Own process group on POSIX, so a timeout can stop grandchildren too.
        detached: !IS_WINDOWS,
        windowsHide: true,
      });
    } catch (e) {
      reject(startError(e, options.cwd));
      return;
    }

    let timedOut = false;
    let stopping: Promise<void> | undefined;
    let exit: { code: number | null; signal: string | null } | undefined;
    let settled = false;
    let drainTimer: NodeJS.Timeout | undefined;

    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));

    const timeoutTimer = setTimeout(() => {
      timedOut = true;
      stop();
    }, Math.max(0, options.timeoutMs));
    const onAbort = (): void => stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    function stop(): void {
      if (!stopping && child.pid !== undefined) stopping = stopTree(child.pid);
    }

    function cleanup(): void {
      clearTimeout(timeoutTimer);
      if (drainTimer) clearTimeout(drainTimer);
      options.signal?.removeEventListener('abort', onAbort);
    }

    async function finish(): Promise<void> {
      if (settled) return;
      settled = true;
      cleanup();
      // Stop waiting for pipes a leftover background process may still hold.
      child.stdout!.destroy();
      child.stderr!.destroy();
      if (stopping) await stopping;
      resolve(result(exit?.code ?? null, exit?.signal ?? null, timedOut));
    }

    child.once('error', (e) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(startError(e, options.cwd));
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // The command is done: a timeout firing while its pipes drain must not count.
      clearTimeout(timeoutTimer);
      drainTimer = setTimeout(() => void finish(), DRAIN_GRACE_MS);
    });
    child.once('close', (code: number | null, signal: string | null) => {
      exit = exit ?? { code, signal };
      void finish();
    });
  });

  function result(exitCode: number | null, signal: string | null, timedOut: boolean): RunCommandResult {
    return {
      exitCode,
      signal,
      stdoutTail: stdout.toString(),
      stderrTail: stderr.toString(),
      timedOut,
      truncated: stdout.truncated || stderr.truncated,
      durationMs: Date.now() - started,
    };
  }
}

/** SIGTERM to the process group, SIGKILL to whatever is left after the grace period. */
async function stopTree(pid: number): Promise<void> {
  if (IS_WINDOWS) {
    // No process groups: taskkill walks the tree.
    await new Promise<void>((done) => {
      const killer = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
      killer.once('error', () => done());
      killer.once('exit', () => done());
    });
    return;
  }
  if (!signalGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + KILL_GRACE_MS;
  while (Date.now() < deadline) {
    await sleep(50);
    if (!groupAlive(pid)) return;
  }
  signalGroup(pid, 'SIGKILL');
  // Let the kernel finish delivering it before callers look.
  await sleep(50);
}

/** false when the group no longer exists */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether any process of the group still runs. Zombies (dead, not yet reaped by an init that
 * does not reap) still answer kill(0), so on Linux they are read from /proc and ignored.
 */
function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue;
      }
      // Fields after the parenthesised command name: state, ppid, pgrp, ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    }
    return false;
  } catch {
    return true;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function startError(e: unknown, cwd: string): Error {
  const err = e as NodeJS.ErrnoException;
  // spawn reports a missing cwd as "spawn /bin/sh ENOENT", which points at the wrong thing.
  if (err?.code === 'ENOENT' && !fs.existsSync(cwd)) {
    return new Error(`the working directory ${cwd} does not exist`);
  }
  return new Error(`could not start the shell: ${err?.message ?? String(e)}`);
}
