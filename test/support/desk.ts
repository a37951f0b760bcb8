import { simpleParser, type ParsedMail } from 'mailparser';
import { expect } from 'vitest';
import type { CaseView } from '../../src/cases/view.js';
import { waitFor, type SentMessage, type TestApp, type TestClock } from './harness.js';
import { buildMessage, SENDER_KEY, signMessage } from './mail.js';
import { sendMail } from './smtp-client.js';

/**
 * The desk as its users meet it in integration tests: complainants write over
 * SMTP (signed by sender.test, dated by the test clock), specialists act
 * through the HTTP API, and what the desk sends is read from the capture.
 *
 *   const desk = deskClient(t, clock);
 *   await desk.send({ from: 'alice@sender.test', to: 'complaints@example.net', subject, text });
 *   const ack = await desk.waitForMail({ to: 'alice@sender.test', kind: /received/ });
 */

export const API_TOKEN = 'test-api-token';

export interface Captured extends SentMessage {
  parsed: ParsedMail;
  ticket: string | null;
}

export interface MailFilter {
  to?: string;
  ticket?: string;
  /** Matched against the decoded subject. */
  subject?: RegExp;
}

export interface ActionReply {
  status: number;
  body: CaseView & { error?: string };
}

export interface DeskClient {
  /** Sends one signed message over a real SMTP session; returns its Message-ID. */
  send(spec: { from: string; to: string; subject: string; text: string; headers?: Record<string, string> }): Promise<string>;
  view(ticket: string): Promise<CaseView>;
  /** An action through the API, as the bootstrap admin (API_TOKEN) or as the account whose personal `token` is given. */
  act(ticket: string, body: unknown, token?: string): Promise<ActionReply>;
  /** Raw POST, for bodies that are not JSON. */
  post(path: string, body: string): Promise<Response>;
  mails(filter?: MailFilter): Promise<Captured[]>;
  waitForMail(filter: MailFilter, what: string, timeoutMs?: number): Promise<Captured>;
}

export function deskClient(t: TestApp, clock: TestClock): DeskClient {
  const base = `http://127.0.0.1:${t.httpPort}/api`;
  const headers = { Authorization: `Bearer ${API_TOKEN}`, 'Content-Type': 'application/json' };
  const parsedCache = new Map<SentMessage, Captured>();

  const capture = async (message: SentMessage): Promise<Captured> => {
    let captured = parsedCache.get(message);
    if (!captured) {
      const parsed = await simpleParser(message.raw);
      captured = { ...message, parsed, ticket: /^X-Ticket-ID: (\S+)/m.exec(message.text)?.[1] ?? null };
      parsedCache.set(message, captured);
    }
    return captured;
  };

  const mails = async (filter: MailFilter = {}): Promise<Captured[]> => {
    const all = await Promise.all(t.transport.sent.map(capture));
    return all.filter(
      (mail) =>
        (!filter.to || mail.envelope.to.includes(filter.to)) &&
        (!filter.ticket || mail.ticket === filter.ticket) &&
        (!filter.subject || filter.subject.test(mail.parsed.subject ?? '')),
    );
  };

  return {
    async send(spec) {
      const messageId = `${Math.random().toString(36).slice(2)}.${Date.now()}@sender.test`;
      const raw = await signMessage(
        buildMessage({ ...spec, date: clock.now(), messageId }),
        { ...SENDER_KEY, signTime: clock.now() },
      );
      const address = /<([^>]+)>\s*$/.exec(spec.from)?.[1] ?? spec.from;
      const result = await sendMail({ port: t.smtpPort, from: address, to: [spec.to], raw });
      expect(result.final.code, result.final.text).toBe(250);
      return `<${messageId}>`;
    },
    async view(ticket) {
      const response = await fetch(`${base}/cases/${ticket}`, { headers });
      expect(response.status).toBe(200);
      return (await response.json()) as CaseView;
    },
    async act(ticket, body, token) {
      const response = await fetch(`${base}/cases/${ticket}/actions`, {
        method: 'POST',
        headers: { ...headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as ActionReply['body'] };
    },
    post(path, body) {
      return fetch(`${base}${path}`, { method: 'POST', headers, body });
    },
    mails,
    async waitForMail(filter, what, timeoutMs = 15_000) {
      return waitFor(async () => (await mails(filter))[0], timeoutMs, what);
    },
  };
}
