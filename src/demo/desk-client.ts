import nodemailer from 'nodemailer';
import type { CaseSummary, CaseView } from '../cases/view.js';
import { SENDER_HOST, type DkimKey } from './world.js';

/** What the demo needs of the running desk: its SMTP listener and its API, as any client reaches them. */
export interface DeskEndpoints {
  smtpPort: number;
  httpBase: string;
  apiToken: string;
}

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  attachments?: Array<{ filename: string; content: Buffer; contentType: string }>;
}

/** Sends one message over SMTP from this machine, DKIM-signed with `key`; resolves with the server's answer. */
export async function sendMail(desk: DeskEndpoints, key: DkimKey, mail: OutgoingMail): Promise<string> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: desk.smtpPort,
    name: SENDER_HOST,
    // The desk offers STARTTLS with a self-signed certificate; on loopback there is nothing to hide.
    ignoreTLS: true,
    dkim: key,
  });
  try {
    const info = await transport.sendMail(mail);
    return String(info.response);
  } finally {
    transport.close();
  }
}

export class DeskApi {
  constructor(private readonly desk: DeskEndpoints) {}

  private async call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(`${this.desk.httpBase}/api${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${this.desk.apiToken}`, 'Content-Type': 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} /api${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    return (await response.json()) as T;
  }

  post(path: string, body: unknown): Promise<unknown> {
    return this.call(path, { method: 'POST', body: JSON.stringify(body) });
  }

  async casesOf(complainant: string): Promise<CaseSummary[]> {
    return (await this.call<{ items: CaseSummary[] }>(`/cases?complainant=${encodeURIComponent(complainant)}`)).items;
  }

  view(ticket: string): Promise<CaseView> {
    return this.call<CaseView>(`/cases/${ticket}`);
  }
}

/** Polls `check` until it gives a value; fails after `timeoutMs`, saying what it waited for. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
