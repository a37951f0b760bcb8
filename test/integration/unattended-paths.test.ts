import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fireDueJobs } from '../support/deadlines.js';
import { deskClient, type DeskClient } from '../support/desk.js';
import { startTestApp, TestClock, waitFor, type TestApp } from '../support/harness.js';
import { SENDER_DOMAIN } from '../support/mail.js';

/**
 * Paths that run with nobody watching (issue 22, item 10), over real SMTP on
 * a test clock: the hearing deadline passing asks the specialist to decide;
 * loop protection caps what one address gets from us in a day, and never
 * writes to a robot address.
 */

const SPECIALISTS = 'abuse-team@example.com';
const DAY_MS = 86_400_000;

describe('paths nobody watches', () => {
  const clock = new TestClock(new Date('2027-02-01T09:00:00Z')); // a Monday
  let t: TestApp;
  let desk: DeskClient;

  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres', clock, env: { AUTO_REPLY_DAILY_CAP: '2' } });
    desk = deskClient(t, clock);
    const post = async (path: string, body: unknown) => expect((await desk.post(path, JSON.stringify(body))).status).toBe(200);
    await post('/managed-domains', [{ domain: 'heard-shop.com', account: 'ACC-H' }, { domain: 'robot-shop.com', account: 'ACC-R' }]);
    await post('/accounts', [
      { account: 'ACC-H', name: 'Heard Shop', email: 'owner@heard-owner.test', language: 'en' },
      // A contact the operator imported that is a machine: we never write to it.
      { account: 'ACC-R', name: 'Robot Shop', email: 'no-reply@robot-owner.test', language: 'en' },
    ]);
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  async function phishingReport(local: string, domain: string): Promise<string> {
    const address = `${local}@${SENDER_DOMAIN}`;
    await desk.send({ from: `${local} <${address}>`, to: 'abuse@example.net', subject: 'Phishing site', text: `This is a phishing page: https://${domain}/login\n` });
    const ack = await desk.waitForMail({ to: address }, `acknowledgement to ${address}`);
    return ack.ticket as string;
  }

  it('asks the specialist to confirm the measure when the customer lets the hearing deadline pass', async () => {
    const ticket = await phishingReport('hanna', 'heard-shop.com');
    await desk.waitForMail({ to: 'owner@heard-owner.test', ticket }, 'hearing notice');
    const hearing = (await desk.view(ticket)).deadlines.find((d) => d.kind === 'customer_response');
    expect(hearing?.status).toBe('pending');

    clock.set(new Date(Date.parse(hearing?.dueAt as string) + 60_000));
    const fired = await fireDueJobs(t, clock.now(), { ticket, name: 'due' });
    expect(fired.map((job) => job.outcome)).toContain('decision_requested');
    const decision = await desk.waitForMail({ to: SPECIALISTS, ticket, subject: /Decision needed/ }, 'decision request');
    expect(decision.parsed.text).toContain('heard-shop.com');
    expect((await desk.view(ticket)).deadlines.find((d) => d.kind === 'customer_response')?.status).toBe('breached');
    clock.set(new Date('2027-02-01T09:00:00Z'));
  });

  it('never writes to a robot address, and records why', async () => {
    const ticket = await phishingReport('rolf', 'robot-shop.com');
    const view = await waitFor(async () => {
      const current = await desk.view(ticket);
      return current.events.some((e) => e.type === 'message_suppressed') ? current : undefined;
    }, 15_000, 'suppressed hearing notice');
    expect(view.events.find((e) => e.type === 'message_suppressed')).toMatchObject({ reason: 'robot_recipient', data: { to: 'no-reply@robot-owner.test' } });
    expect(t.transport.to('no-reply@robot-owner.test')).toEqual([]);
  });

  it('sends one address at most AUTO_REPLY_DAILY_CAP automatic messages a day, then again the next day', async () => {
    const writer = `mia@${SENDER_DOMAIN}`;
    const complaint = (n: number) => desk.send({ from: `Mia <${writer}>`, to: 'complaints@example.net', subject: `Complaint ${n} about my transfer`, text: `This is complaint number ${n}: my domain transfer has been stuck for weeks.\n` });
    for (const n of [1, 2, 3]) await complaint(n);
    const tickets = await waitFor(async () => {
      const list = (await (await fetch(`http://127.0.0.1:${t.httpPort}/api/cases?complainant=${encodeURIComponent(writer)}`, { headers: { Authorization: 'Bearer test-api-token' } })).json()) as { items: Array<{ ticket: string }> };
      return list.items.length === 3 ? list.items.map((item) => item.ticket) : undefined;
    }, 15_000, 'three cases');
    const views = await waitFor(async () => {
      const all = await Promise.all(tickets.map((ticket) => desk.view(ticket)));
      const answers = all.map((v) => v.messages.filter((m) => m.direction === 'out' && m.to.includes(writer)));
      return answers.every((list) => list.length > 0 && list.every((m) => m.status !== 'queued')) ? all : undefined;
    }, 15_000, 'an answer settled in each case');
    const toWriter = views.flatMap((v) => v.messages.filter((m) => m.direction === 'out' && m.to.includes(writer)));
    expect(toWriter.map((m) => m.status).sort()).toEqual(['sent', 'sent', 'suppressed']);
    expect(views.flatMap((v) => v.events).filter((e) => e.type === 'message_suppressed').map((e) => e.reason)).toEqual(['daily_cap']);
    expect(t.transport.to(writer)).toHaveLength(2);

    // A day later the cap starts again.
    clock.set(new Date(clock.now().getTime() + DAY_MS + 60_000));
    await complaint(4);
    await waitFor(() => t.transport.to(writer).length === 3, 15_000, 'the next day’s acknowledgement');
  });
});
