import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/lib/logger.js';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage, testZone, STAFF_KEY, staffZoneRecords } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';

/**
 * Attachment file names never touch the file system unsanitised (issue 8,
 * item 3). A specialist's reply carries attachments named like paths, with
 * NUL/CR/LF, bidirectional overrides and 5000 characters; the relayed mail
 * has them as plain labels, and the outbox — the worker runs without
 * OUTBOUND_SMTP_URL, as a site without a relay does — holds only files named
 * by row id.
 */

const SPECIALIST = 'jane.doe@example.com';
const COMPLAINANT = `paul@${SENDER_DOMAIN}`;

function zone() {
  return {
    ...testZone(),
    ...staffZoneRecords(),
  };
}

/** RFC 2231 parameter, so any byte (NUL, CR, LF, '\') survives the header as written. */
const encoded = (name: string) => `filename*=UTF-8''${encodeURIComponent(name)}`;
const LONG = `${'A'.repeat(5_000)}.txt`;

/** [the Content-Disposition parameter as sent, the name mailparser reads from it] */
const HOSTILE: Array<[string, string]> = [
  ['filename="../../etc/passwd"', '../../etc/passwd'],
  [encoded('..\\..\\x'), '..\\..\\x'],
  [encoded('/etc/shadow'), '/etc/shadow'],
  [encoded('C:\\Windows\\system32\\evil.dll'), 'C:\\Windows\\system32\\evil.dll'],
  [encoded('a\0b\r\nX-Injected: 1\r\n.txt'), 'a\0b\r\nX-Injected: 1\r\n.txt'],
  [encoded('invoice\u202efdp.exe'), 'invoice\u202efdp.exe'],
  [encoded('..'), '..'],
  [encoded(LONG), LONG],
];

function specialistReply(caseAddress: string): Buffer {
  const boundary = `b-${randomUUID()}`;
  const parts = [
    'Content-Type: text/plain; charset=us-ascii\r\n\r\nDear Paul,\r\n\r\nplease find the logs attached.\r\n',
    ...HOSTILE.map(([param], index) => `Content-Type: text/plain; charset=us-ascii\r\nContent-Disposition: attachment; ${param}\r\n\r\nlog file number ${index + 1}\r\n`),
  ];
  const head = [
    `From: Jane Doe <${SPECIALIST}>`,
    `To: ${caseAddress}`,
    'Subject: Re: your complaint',
    `Date: ${new Date().toUTCString().replace(/GMT$/, '+0000')}`,
    `Message-ID: <${randomUUID()}@example.com>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
  ];
  return Buffer.from(`${head.join('\r\n')}\r\n\r\n${parts.map((part) => `--${boundary}\r\n${part}`).join('')}--${boundary}--\r\n`);
}

/** When a path was last changed, or null: the folder beside the data folder is shared, so what matters is that we did not touch it. */
function changedAt(path: string): number | null {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? null;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? [join(dir, entry.name), ...walk(join(dir, entry.name))] : [join(dir, entry.name)]));
}

describe('attachment names from a specialist reply', () => {
  let t: TestApp;
  let worker: RunningApp;
  let outbox: string;
  const outboxMail = async (): Promise<ParsedMail[]> =>
    Promise.all(
      (existsSync(outbox) ? readdirSync(outbox) : []).filter((name) => name.endsWith('.eml')).map((name) => simpleParser(readFileSync(join(outbox, name)))),
    );

  beforeAll(async () => {
    // SMTP and web from the harness; the worker on its own, with no transport
    // injected and no OUTBOUND_SMTP_URL: mail goes to DATA_DIR/outbox.
    t = await startTestApp({ database: 'postgres', zone: zone(), roles: ['smtp', 'web'] });
    expect(t.env.OUTBOUND_SMTP_URL).toBeUndefined();
    worker = await startApp({ config: loadConfig(t.env), roles: ['worker'], logger: silentLogger, resolver: t.resolver, sweepIntervalMs: 0 });
    outbox = join(t.dataDir, 'outbox');
  });
  afterAll(async () => {
    await worker?.stop(10_000);
    await t?.stop({ drop: true });
  });

  /** A complaint, and its acknowledgement from the outbox: the case's ticket and reply address. */
  async function openCase(subject: string): Promise<{ ticket: string; caseAddress: string }> {
    const complaint = await signMessage(
      buildMessage({ from: `Paul Smith <${COMPLAINANT}>`, to: 'complaints@example.net', subject, text: 'Your support has not answered my transfer request for two weeks. Please look into it.\n' }),
      SENDER_KEY,
    );
    expect((await sendMail({ port: t.smtpPort, from: COMPLAINANT, to: ['complaints@example.net'], raw: complaint })).final.code).toBe(250);
    const ack = await waitFor(async () => (await outboxMail()).find((mail) => mail.subject?.includes(subject) && mail.to && !Array.isArray(mail.to) && mail.to.text === COMPLAINANT), 20_000, 'acknowledgement in the outbox');
    const caseAddress = ack.replyTo?.value[0]?.address as string;
    expect(caseAddress).toMatch(/^case\+cmp-/);
    return { ticket: ack.headers.get('x-ticket-id') as string, caseAddress };
  }

  it('relays them as plain labels and writes only <row id>.eml files', async () => {
    const { caseAddress } = await openCase('Transfer ignored');
    const outside = [join(outbox, '..', '..', 'etc', 'passwd'), join(outbox, '..', '..', 'x')];
    const outsideBefore = outside.map(changedAt);

    const reply = await signMessage(specialistReply(caseAddress), STAFF_KEY);
    expect((await sendMail({ port: t.smtpPort, from: SPECIALIST, to: [caseAddress], raw: reply })).final.code).toBe(250);
    const relayed = await waitFor(async () => (await outboxMail()).find((mail) => mail.text?.includes('please find the logs attached')), 20_000, 'relayed reply in the outbox');

    const names = relayed.attachments.map((attachment) => attachment.filename ?? '');
    expect(names).toHaveLength(HOSTILE.length);
    for (const name of names) {
      // eslint-disable-next-line no-control-regex -- control characters are what is checked for
      expect(name).not.toMatch(/[/\\\x00-\x1f\x7f\u202e]/);
      expect(Array.from(name).length).toBeLessThanOrEqual(200);
      expect(name).not.toMatch(/^\.*$/);
    }
    expect(names[0]).toBe('.._.._etc_passwd');
    expect(names[5]).toBe('invoice_fdp.exe');
    expect(relayed.attachments.map((attachment) => attachment.content.toString())).toEqual(HOSTILE.map((_, index) => `log file number ${index + 1}`));
    expect(relayed.headers.has('x-injected')).toBe(false);

    // The outbox holds row-id files and nothing else (no leftover .tmp either).
    const files = readdirSync(outbox);
    expect(files.filter((name) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.eml$/.test(name))).toEqual([]);
    // Nothing anywhere in the data folder, or beside it, is named after an attachment.
    const written = walk(t.dataDir).map((path) => relative(t.dataDir, path));
    expect(written.filter((path) => /passwd|shadow|evil|Injected|invoice|AAAA|(^|[/\\])x$/.test(path))).toEqual([]);
    expect(outside.map(changedAt)).toEqual(outsideBefore);
  });
  it('stores a reply whose text holds NUL and half a surrogate pair (PostgreSQL takes neither)', async () => {
    const { ticket, caseAddress } = await openCase('Broken text case');
    // UTF-16 with a lone high surrogate, and a NUL: both reach the text mailparser gives.
    const body = Buffer.concat([Buffer.from('#internal\n\nLogs hold NUL \0 and half ', 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from(' a pair.\n', 'utf16le')]);
    const raw = Buffer.from(
      [
        `From: Jane Doe <${SPECIALIST}>`,
        `To: ${caseAddress}`,
        'Subject: Re: case',
        `Message-ID: <${randomUUID()}@example.com>`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-16le',
        'Content-Transfer-Encoding: base64',
        '',
        body.toString('base64'),
        '',
      ].join('\r\n'),
    );
    expect((await sendMail({ port: t.smtpPort, from: SPECIALIST, to: [caseAddress], raw: await signMessage(raw, STAFF_KEY) })).final.code).toBe(250);
    const note = await waitFor(
      async () => {
        const view = (await (await fetch(`http://127.0.0.1:${t.httpPort}/api/cases/${ticket}`, { headers: { Authorization: 'Bearer test-api-token' } })).json()) as { events: Array<{ type: string; data: { text?: string } }> };
        return view.events.find((event) => event.type === 'note_added');
      },
      20_000,
      'the note stored',
    );
    expect(note.data.text).toBe('Logs hold NUL  and half \ufffd a pair.');
    expect(await worker.queues.intake.getJobs(['delayed', 'failed'])).toEqual([]);
  });
});
