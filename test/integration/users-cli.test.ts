import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';

/**
 * `npm run -s users -- …` against the database of a running desk (PostgreSQL):
 * accounts made, listed, given roles, disabled, and tokens issued, each
 * checked through the desk's own HTTP interface.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ database: 'postgres' });
});
afterAll(async () => {
  await t?.stop({ drop: true });
});

/** The command as a user runs it (`viaNpm`), or the same entry point without npm's start-up, which is most of the time on a busy machine. */
async function users(args: string[], stdin?: string, viaNpm = false): Promise<{ code: number | null; out: string; err: string }> {
  const [command, prefix] = viaNpm ? ['npm', ['run', '-s', 'users', '--']] : [process.execPath, ['--import', 'tsx', 'src/staff/cli.ts']];
  const child = spawn(command as string, [...(prefix as string[]), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...t.env, LOG_LEVEL: 'silent' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  child.stdin.end(stdin ?? '');
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, out, err };
}

const url = (path: string) => `http://127.0.0.1:${t.httpPort}${path}`;
const basic = (name: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` });

describe('npm run users', () => {
  it('adds an account with a one-time password, or with one from standard input', async () => {
    const added = await users(['add', 'Bob', '--role', 'specialist', '--email', 'bob@example.net'], undefined, true);
    expect(added.code, added.err).toBe(0);
    const password = /one-time password: (\S+)/.exec(added.out)?.[1] as string;
    expect(added.out).toContain('created bob (specialist)');
    // A one-time password does not open the pages over basic auth: it must be changed first.
    expect((await fetch(url('/admin'), { headers: basic('bob', password) })).status).toBe(403);

    const carol = await users(['add', 'carol', '--role', 'viewer', '--password-stdin'], 'a chosen secret phrase\n');
    expect(carol.code, carol.err).toBe(0);
    expect(carol.out).not.toContain('one-time');
    expect((await fetch(url('/admin'), { headers: basic('carol', 'a chosen secret phrase') })).status).toBe(200);

    const again = await users(['add', 'bob']);
    expect(again.code).toBe(1);
    expect(again.err).toContain('an account named bob exists already');
    const weak = await users(['add', 'dave', '--password-stdin'], 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.err).toContain('at least 12 characters');
  }, 180_000);

  it('lists, changes roles, issues a token, and disables', async () => {
    const listed = await users(['list']);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toMatch(/^admin\tadmin\tactive/m);
    expect(listed.out).toMatch(/^bob\tspecialist\tone-time-password\tbob@example\.net/m);
    expect(listed.out).toMatch(/^carol\tviewer\tactive/m);

    const token = /^(adk_\S+)$/m.exec((await users(['token', 'bob', '--label', 'ticket bot'])).out)?.[1] as string;
    expect(token).toBeDefined();
    const headers = { Authorization: `Bearer ${token}` };
    expect((await fetch(url('/api/cases'), { headers })).status).toBe(200);
    expect((await fetch(url('/api/managed-domains'), { method: 'POST', headers, body: '[]' })).status).toBe(403);

    expect((await users(['role', 'bob', 'admin'])).out).toContain('bob is now admin');
    expect((await fetch(url('/api/managed-domains'), { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '[]' })).status).toBe(200);

    expect((await users(['disable', 'bob'])).code).toBe(0);
    expect((await fetch(url('/api/cases'), { headers })).status).toBe(401);
    expect((await users(['list', '--json'])).out).toContain('"disabledAt": "');
    expect((await users(['enable', 'bob'])).code).toBe(0);
    expect((await fetch(url('/api/cases'), { headers })).status).toBe(200);

    const usage = await users(['frobnicate']);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('unknown command frobnicate');
  }, 240_000);
});
