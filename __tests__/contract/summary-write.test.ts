import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';

import { ReportService } from '../../src/report/report-service';
import { sampleReport } from '../helpers/report-fixtures';

// Contract: the job summary goes to the file named by GITHUB_STEP_SUMMARY in Actions,
// to the terminal locally.

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('ReportService.write', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-summary-'));
  // @actions/core remembers the summary path once it has worked, so one path for the file.
  const summaryFile = path.join(dir, 'step_summary.md');
  const savedEnv = process.env.GITHUB_STEP_SUMMARY;

  beforeAll(() => {
    process.env.GITHUB_STEP_SUMMARY = summaryFile;
  });
  afterAll(() => {
    if (savedEnv === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = savedEnv;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('in Actions without a usable summary file, warns and prints the summary instead', async () => {
    const out = collect();
    const logged: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    try {
      const markdown = await new ReportService().write(sampleReport(), { inActions: true, stdout: out.stream });
      expect(out.text()).toBe(`${markdown}\n`);
    } finally {
      spy.mockRestore();
    }
    expect(fs.existsSync(summaryFile)).toBe(false);
    const warning = logged.join('');
    expect(warning).toContain('::warning::Could not write the job summary (GITHUB_STEP_SUMMARY)');
    expect(warning).toContain(summaryFile);
  });

  it('in Actions, appends to GITHUB_STEP_SUMMARY and keeps what was there', async () => {
    const before = '### Earlier step output\n\nSomething another tool wrote.';
    fs.writeFileSync(summaryFile, before); // no trailing newline on purpose
    const out = collect();

    const service = new ReportService();
    const first = await service.write(sampleReport(), { inActions: true, stdout: out.stream });
    let content = fs.readFileSync(summaryFile, 'utf8');
    expect(content.startsWith(before)).toBe(true);
    // Our heading starts its own block.
    expect(content).toContain(`${before}\n\n## 📊 track-metrics\n`);
    expect(content.endsWith(`${first}\n`)).toBe(true);
    expect(out.text()).toBe('');

    // A second write adds, it does not replace.
    const data = sampleReport({ warnings: ['second write'] });
    const second = await service.write(data, { inActions: true, stdout: out.stream });
    content = fs.readFileSync(summaryFile, 'utf8');
    expect(content.startsWith(`${before}\n\n${first}\n`)).toBe(true);
    expect(content.endsWith(`\n${second}\n`)).toBe(true);
    expect(content.split('## 📊 track-metrics')).toHaveLength(3);
  });

  it('locally, prints the markdown and leaves the summary file alone', async () => {
    const before = fs.readFileSync(summaryFile, 'utf8');
    const out = collect();
    const markdown = await new ReportService().write(sampleReport(), { inActions: false, stdout: out.stream });
    expect(out.text()).toBe(`${markdown}\n`);
    expect(markdown).toBe(new ReportService().render(sampleReport()));
    expect(fs.readFileSync(summaryFile, 'utf8')).toBe(before);
  });
});
