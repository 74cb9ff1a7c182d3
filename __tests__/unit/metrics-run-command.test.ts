import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { runCommand } from '../../src/metrics/run-command';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-run-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const opts = (extra: Partial<Parameters<typeof runCommand>[1]> = {}): Parameters<typeof runCommand>[1] => ({
  cwd: dir,
  env: process.env,
  timeoutMs: 10_000,
  ...extra,
});

/** Running, i.e. exists and is not a zombie waiting for a non-reaping init. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitForFile(file: string, ms = 5_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) {
      const text = fs.readFileSync(file, 'utf8').trim();
      if (text) return text;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${file} never appeared`);
}

describe('runCommand', () => {
  it('runs through the shell in cwd and reports exit code and output', async () => {
    const run = await runCommand('pwd; echo out; echo err >&2; exit 3', opts());
    expect(run.exitCode).toBe(3);
    expect(run.signal).toBeNull();
    expect(run.timedOut).toBe(false);
    expect(run.truncated).toBe(false);
    expect(run.stdoutTail).toBe(`${fs.realpathSync(dir)}\nout\n`);
    expect(run.stderrTail).toBe('err\n');
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('closes stdin so a command reading it does not hang', async () => {
    const run = await runCommand('cat; echo 7', opts({ timeoutMs: 5_000 }));
    expect(run.timedOut).toBe(false);
    expect(run.stdoutTail).toBe('7\n');
  });

  it('kills a hanging command at the timeout', async () => {
    const started = Date.now();
    const run = await runCommand('sleep 30', opts({ timeoutMs: 1_000 }));
    const elapsed = Date.now() - started;
    expect(run.timedOut).toBe(true);
    expect(run.exitCode).toBeNull();
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('leaves no grandchild running after a timeout', async () => {
    const pidFile = path.join(dir, 'pid');
    const run = await runCommand(`sleep 30 & echo $! > ${pidFile}; wait`, opts({ timeoutMs: 1_000 }));
    expect(run.timedOut).toBe(true);
    const pid = Number(await waitForFile(pidFile));
    expect(pid).toBeGreaterThan(0);
    expect(isRunning(pid)).toBe(false);
  });

  it('SIGKILLs a grandchild that ignores SIGTERM, within the grace period', async () => {
    const pidFile = path.join(dir, 'pid');
    const started = Date.now();
    const run = await runCommand(
      `sh -c 'trap "" TERM; echo $$ > ${pidFile}; while :; do sleep 1; done' ; echo never`,
      opts({ timeoutMs: 1_000 }),
    );
    const elapsed = Date.now() - started;
    expect(run.timedOut).toBe(true);
    expect(run.stdoutTail).not.toContain('never');
    const pid = Number(await waitForFile(pidFile));
    expect(isRunning(pid)).toBe(false);
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('stops the command tree when the signal aborts', async () => {
    const pidFile = path.join(dir, 'pid');
    const controller = new AbortController();
    const started = Date.now();
    const pending = runCommand(`sleep 30 & echo $! > ${pidFile}; wait`, opts({ signal: controller.signal }));
    const pid = Number(await waitForFile(pidFile));
    controller.abort();
    const run = await pending;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(run.timedOut).toBe(false);
    expect(run.exitCode).not.toBe(0);
    expect(isRunning(pid)).toBe(false);
  });

  it('does not start when the signal is already aborted', async () => {
    const marker = path.join(dir, 'ran');
    const controller = new AbortController();
    controller.abort();
    const run = await runCommand(`touch ${marker}`, opts({ signal: controller.signal }));
    expect(run.exitCode).toBeNull();
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('does not wait for a background process that keeps stdout open', async () => {
    const started = Date.now();
    const run = await runCommand('sleep 5 & echo $!; echo 11', opts());
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(run.exitCode).toBe(0);
    const [bgPid, value] = run.stdoutTail.trim().split('\n');
    expect(value).toBe('11');
    try {
      process.kill(Number(bgPid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  });

  it('keeps only the tail of a 100 MB output with bounded memory', async () => {
    // Measured in a plain Node process of its own: jest's heap makes GC lazy and noisy.
    // The old-space cap means an implementation that kept the output would crash there.
    const source = fs.readFileSync(path.join(__dirname, '../../src/metrics/run-command.ts'), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
    fs.writeFileSync(path.join(dir, 'run-command.js'), js.outputText);
    fs.writeFileSync(
      path.join(dir, 'probe.js'),
      `const { runCommand } = require('./run-command.js');
      const before = process.memoryUsage();
      let peakRss = before.rss, peakHeap = before.heapUsed + before.arrayBuffers;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakHeap = Math.max(peakHeap, m.heapUsed + m.arrayBuffers);
      }, 5);
      runCommand(process.argv[2], { cwd: __dirname, env: process.env, timeoutMs: 60000 }).then((run) => {
        clearInterval(sampler);
        console.log(JSON.stringify({ run, rssGrowth: peakRss - before.rss, heapGrowth: peakHeap - before.heapUsed - before.arrayBuffers }));
      });`,
    );
    const probe = await runCommand(
      `"${process.execPath}" --max-old-space-size=40 probe.js "head -c 100000000 /dev/zero | tr '\\0' 'a'; echo; echo 42"`,
      opts({ timeoutMs: 60_000, maxOutputBytes: 1024 * 1024 }),
    );
    expect(probe.stderrTail).toBe('');
    expect(probe.exitCode).toBe(0);
    const { run, rssGrowth, heapGrowth } = JSON.parse(probe.stdoutTail);
    expect(run.exitCode).toBe(0);
    expect(run.truncated).toBe(true);
    expect(Buffer.byteLength(run.stdoutTail)).toBe(64 * 1024);
    expect(run.stdoutTail.endsWith('aaaa\n42\n')).toBe(true);
    expect(rssGrowth).toBeLessThan(60 * 1024 * 1024);
    expect(heapGrowth).toBeLessThan(60 * 1024 * 1024);
  });

  it('honours maxOutputBytes and bounds stderr to about 4 KiB', async () => {
    const run = await runCommand(
      "head -c 100000 /dev/zero | tr '\\0' 'e' >&2; echo; seq 1 1000",
      opts({ maxOutputBytes: 100 }),
    );
    expect(run.truncated).toBe(true);
    expect(Buffer.byteLength(run.stdoutTail)).toBe(100);
    expect(run.stdoutTail.endsWith('999\n1000\n')).toBe(true);
    expect(Buffer.byteLength(run.stderrTail)).toBe(4 * 1024);
  });

  it('does not split a UTF-8 character at the cut', async () => {
    // "é" is two bytes; a 101-byte window starting mid-character must drop the half.
    const run = await runCommand("printf 'éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé'", opts({ maxOutputBytes: 101 }));
    expect(run.stdoutTail).toBe('é'.repeat(50));
  });

  it('rejects with a clear message when the working directory does not exist', async () => {
    await expect(runCommand('echo 1', opts({ cwd: path.join(dir, 'missing') }))).rejects.toThrow(
      /working directory .*missing does not exist/,
    );
  });
});
