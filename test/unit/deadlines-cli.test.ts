import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The CLI as ops run it: a child process, the repository's brands file unless BRANDS_FILE says otherwise.
const repo = new URL('../..', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function deadlines(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!('BRANDS_FILE' in env)) delete childEnv.BRANDS_FILE;
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'src/deadlines/cli.ts', ...args], { cwd: repo, env: childEnv, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      // npx may warn about the machine's npm configuration; only the CLI's own lines matter here.
      const ownLines = stderr.split('\n').filter((line) => !line.startsWith('npm warn'));
      resolve({ code, stdout, stderr: ownLines.join('\n') });
    });
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'deadlines-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('deadlines CLI', () => {
  it('prints the standard due dates as JSON in UTC', async () => {
    const run = await deadlines(['--brand', 'example.net', '--received', '2026-12-18T10:00:00Z', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      brand: 'example-net',
      policy: 'standard',
      receivedAt: '2026-12-18T10:00:00.000Z',
      acknowledge: '2026-12-22T22:59:59.999Z',
      respond: '2027-01-05T22:59:59.999Z',
      escalation_window_days: 20,
      final_response_days: 10,
    });
  });

  it('gives the two-step brand a 24-hour acknowledgement and reads a bare time as brand-local', async () => {
    // 10:00 in Berlin in December is 09:00 UTC
    const run = await deadlines(['--brand', 'support.example', '--received', '2026-12-18T10:00', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      brand: 'support-example',
      policy: 'two-step',
      receivedAt: '2026-12-18T09:00:00.000Z',
      acknowledge: '2026-12-19T09:00:00.000Z',
      respond: '2027-01-05T22:59:59.999Z',
      escalation_window_days: 20,
      final_response_days: 10,
      escalation_steps: 2,
    });
  });

  it('prints a table with local times without --json', async () => {
    const run = await deadlines(['--brand', 'example.net', '--received', '2026-12-18T10:00:00Z']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/acknowledge\s+2 working days\s+Tue 2026-12-22 23:59:59 \+01:00\s+2026-12-22T22:59:59\.999Z/);
    expect(run.stdout).toMatch(/respond\s+10 working days\s+Tue 2027-01-05 23:59:59 \+01:00/);
  });

  it('uses BRANDS_FILE, closure days included', async () => {
    const brandsFile = join(scratch, 'brands.yaml');
    const text = readFileSync(join(repo, 'config/brands.yaml'), 'utf8').replace(
      /closureDays: \[\]/,
      "closureDays: ['2026-12-21', '2026-12-22']",
    );
    writeFileSync(brandsFile, text);
    const run = await deadlines(['--brand', 'example.net', '--received', '2026-12-18T10:00:00Z', '--json'], { BRANDS_FILE: brandsFile });
    expect(run.code).toBe(0);
    // 21 and 22 closed: Wed 23 (1), Thu 24 (2)
    expect(JSON.parse(run.stdout)).toMatchObject({ acknowledge: '2026-12-24T22:59:59.999Z' });
  });

  it('lists the excluded days of a year', async () => {
    const run = await deadlines(['--brand', 'example.net', '--holidays', '2027', '--json']);
    expect(run.code).toBe(0);
    const dates = (JSON.parse(run.stdout) as { days: { date: string }[] }).days.map((day) => day.date);
    expect(dates).toEqual([
      '2027-01-01', '2027-03-26', '2027-03-29', '2027-05-01', '2027-05-06', '2027-05-17',
      '2027-05-27', '2027-08-15', '2027-10-03', '2027-11-01', '2027-12-25', '2027-12-26',
    ]);
  });

  it('names the known domains when the brand is unknown', async () => {
    const run = await deadlines(['--brand', 'nowhere.example', '--received', '2026-12-18T10:00:00Z']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('nowhere.example');
    expect(run.stderr).toContain('example.net');
    expect(run.stderr).toContain('support.example');
  });

  it.each([
    [['--received', '2026-12-18T10:00:00Z'], /--brand/],
    [['--brand', 'example.net', '--received', 'yesterday'], /--received/],
    [['--brand', 'example.net', '--frobnicate'], /frobnicate/],
    [['--brand', 'example.net', '--holidays', 'next'], /--holidays/],
  ])('refuses bad arguments %j with one line and exit code 2', async (args, message) => {
    const run = await deadlines(args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });

  it('exits 1 when the brands file cannot be read', async () => {
    const run = await deadlines(['--brand', 'example.net'], { BRANDS_FILE: join(scratch, 'missing.yaml') });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('missing.yaml');
  });
});
