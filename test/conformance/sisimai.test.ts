import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifySender, isAutomated, type SenderClass } from '../../src/intake/sender-policy.js';
import { readHeaderBlock } from '../../src/mail/headers.js';
import {  corpusPath } from '../support/corpora.js';

/**
 * Every message of sisimai's set-of-emails (bounces, auto-replies, ARF; LF,
 * CRLF and CR-only line ends) must be refused as automated, or taken as a
 * machine report where the mailbox accepts those. The envelope sender is the
 * message's Return-Path when it is not null, and also, in a second pass, a
 * plain `someone@example.org`: the worst case, where only the headers tell.
 */
const corpus = corpusPath('sisimai-set-of-emails/');
const WORST_CASE_SENDER = 'someone@example.org';

/**
 * Messages that are, or look exactly like, mail written by a person; each is
 * asserted to stay `person`, so the list cannot go stale silently.
 */
const EXCEPTIONS: Record<string, string> = {
  'maildir/not/is-not-bounce-01.eml': 'the corpus files it under "not a bounce": a person writing',
  'maildir/not/is-not-bounce-02.eml': 'the corpus files it under "not a bounce": a person attaching a message',
  'maildir/bsd/lhost-sendmail-14.eml': 'a person forwarding a bounce (Apple Mail, "Fwd: Returned mail: ..."); a forward is the person\'s own message',
  'maildir/err/make-test-36.eml': 'a person forwarding a bounce ("Fwd: Returned mail: ..."), as lhost-sendmail-14',
  'mailbox/mbox-0#36': 'the same message as maildir/err/make-test-36.eml (err/ is mbox-0 divided)',
  'maildir/bsd/arf-22.eml':
    'Hotmail JMRP complaint in its pre-ARF form: multipart/mixed from staff@hotmail.com with no header marker; its subject ' +
    '"complaint about message from <ip>" is one a person writes to an abuse desk, so no heuristic is added for it',
  'maildir/bsd/arf-23.eml': 'Hotmail JMRP complaint, as arf-22',
  'maildir/bsd/arf-24.eml': 'Hotmail JMRP complaint, as arf-22',
};

/**
 * Not mail: upstream's JSON bounce exports, notes, licence, and the 0-3 byte
 * files sisimai feeds its mailbox reader (checked on their own below).
 */
const NOT_EMAIL = /\.(?:json|md|tsv)$|(?:^|\/)LICENSE$|^mailbox\/size-\d+$/;

interface Sample {
  id: string;
  raw: Buffer;
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

/** mbox: a message starts at a "From " line at the start of the file or after a blank line. */
function splitMbox(raw: Buffer): Buffer[] {
  const text = raw.toString('latin1');
  const starts: number[] = [];
  const separator = /(?:^|\n\r?\n)From /g;
  for (let match = separator.exec(text); match; match = separator.exec(text)) {
    starts.push(match.index === 0 ? 0 : match.index + match[0].length - 'From '.length);
  }
  if (starts[0] !== 0) starts.unshift(0);
  return starts.map((start, i) => Buffer.from(text.slice(start, starts[i + 1] ?? text.length), 'latin1'));
}

function samples(): Sample[] {
  const out: Sample[] = [];
  for (const path of walk(corpus)) {
    const id = relative(corpus, path);
    if (NOT_EMAIL.test(id)) continue;
    const raw = readFileSync(path);
    if (id.startsWith('mailbox/')) {
      splitMbox(raw).forEach((message, i) => out.push({ id: `${id}#${i + 1}`, raw: message }));
    } else {
      out.push({ id, raw });
    }
  }
  return out;
}

function envelopeOf(returnPath: string | undefined): string {
  const address = (returnPath ?? '').trim().replace(/^<|>$/g, '').trim();
  return address === '' ? WORST_CASE_SENDER : address;
}

function outcome(result: SenderClass): string {
  if (result.kind === 'refused') return result.error.reason;
  return result.kind === 'machine_report' ? `machine_report:${result.format}` : result.kind;
}

describe('sisimai set-of-emails', () => {
  const all = samples();

  it('holds the expected corpus', () => {
    expect(all.length).toBeGreaterThan(850);
    for (const folder of ['maildir/bsd/', 'maildir/dos/', 'maildir/mac/', 'maildir/err/', 'mailbox/mbox-0#']) {
      expect(all.some((s) => s.id.startsWith(folder)), folder).toBe(true);
    }
    for (const id of Object.keys(EXCEPTIONS)) expect(all.some((s) => s.id === id), id).toBe(true);
  });

  it('never classifies a bounce, auto-reply or report as a person, whatever the envelope sender', () => {
    const started = performance.now();
    const wrong: string[] = [];
    for (const { id, raw } of all) {
      const headers = readHeaderBlock(raw);
      const senders = [...new Set([envelopeOf(headers.first('return-path')), WORST_CASE_SENDER])];
      for (const envelopeFrom of senders) {
        for (const acceptMachineReports of [false, true]) {
          const result = outcome(classifySender({ envelopeFrom, headers, acceptMachineReports }));
          const exception = id in EXCEPTIONS;
          if ((result === 'person') !== exception) wrong.push(`${id} (envelope ${envelopeFrom}, reports ${acceptMachineReports}): ${result}`);
          // Loop protection relies on isAutomated: no anonymous-only refusals either.
          if (!exception && !isAutomated({ envelopeFrom, headers })) wrong.push(`${id} (envelope ${envelopeFrom}): not automated (${result})`);
        }
      }
    }
    expect(wrong).toEqual([]);
    // The whole corpus is read and classified four times; a slow parser would show here.
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('takes the ARF samples as machine reports when the mailbox accepts them', () => {
    const arf = all.filter((s) => /^maildir\/(?:bsd|dos|mac)\/arf-\d+\.eml$/.test(s.id));
    expect(arf.length).toBeGreaterThan(15);
    const notArf = new Map<string, string>();
    for (const { id, raw } of arf) {
      const headers = readHeaderBlock(raw);
      const result = outcome(classifySender({ envelopeFrom: envelopeOf(headers.first('return-path')), headers, acceptMachineReports: true }));
      if (result !== 'machine_report:arf') notArf.set(basename(id), result);
    }
    // arf-26 is Apple Mail's one-click unsubscribe (Auto-Submitted, text/plain), not an ARF report.
    expect(Object.fromEntries(notArf)).toEqual({
      'arf-22.eml': 'person',
      'arf-23.eml': 'person',
      'arf-24.eml': 'person',
      'arf-26.eml': 'automated_auto_submitted',
    });
  });

  it('refuses the degenerate mailbox files as mail without a From', () => {
    const tiny = readdirSync(join(corpus, 'mailbox')).filter((name) => name.startsWith('size-'));
    expect(tiny.length).toBeGreaterThan(0);
    for (const name of tiny) {
      const headers = readHeaderBlock(readFileSync(join(corpus, 'mailbox', name)));
      expect(outcome(classifySender({ envelopeFrom: WORST_CASE_SENDER, headers, acceptMachineReports: true })), name).toBe('anonymous_no_from');
    }
  });

  it('splits mbox-0 into the same messages as its divided copy in maildir/err', () => {
    const fromMbox = all.filter((s) => s.id.startsWith('mailbox/mbox-0#'));
    const divided = all.filter((s) => s.id.startsWith('maildir/err/'));
    expect(fromMbox.length).toBe(divided.length);
    const subjects = (list: Sample[]): string[] => list.map((s) => readHeaderBlock(s.raw).subject);
    expect(subjects(fromMbox)).toEqual(subjects(divided));
  });

  it('reads CR-only and CRLF copies exactly as their LF originals', () => {
    const byName = new Map<string, Sample[]>();
    for (const sample of all.filter((s) => /^maildir\/(?:bsd|dos|mac)\//.test(s.id))) {
      const name = basename(sample.id);
      byName.set(name, [...(byName.get(name) ?? []), sample]);
    }
    let compared = 0;
    for (const [name, copies] of byName) {
      if (copies.length < 2) continue;
      const views = copies.map(({ raw }) => {
        const h = readHeaderBlock(raw);
        return { from: h.from, subject: h.subject, contentType: h.contentType, messageId: h.messageId, received: h.get('received') };
      });
      for (const view of views.slice(1)) expect(view, name).toEqual(views[0]);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(80);
  });
});
