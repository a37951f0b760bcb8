import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseView } from '../../src/cases/view.js';
import { deskClient, type DeskClient } from '../support/desk.js';
import { startTestApp, TestClock, waitFor, type TestApp } from '../support/harness.js';
import { SENDER_DOMAIN } from '../support/mail.js';

/**
 * Seed 004's two-step procedure end to end, on brand support-example
 * (support.example, French by default): acknowledgement within 24 clock
 * hours, our response, step 1 by email with its subject marker, step 2 by post
 * to management recorded by a specialist through the API, each step answered
 * within 10 working days.
 */

function deadline(view: CaseView, kind: string, step = 0) {
  const found = view.deadlines.find((d) => d.kind === kind && d.step === step);
  if (!found) throw new Error(`case ${view.ticket} has no ${kind} deadline (step ${step}); it has ${view.deadlines.map((d) => `${d.kind}/${d.step}`).join(', ')}`);
  return found;
}

describe('two-step brand end to end (PostgreSQL, Redis, SMTP)', () => {
  // Monday 1 March 2027, 09:00 in Berlin.
  const clock = new TestClock(new Date('2027-03-01T08:00:00Z'));
  let t: TestApp;
  let desk: DeskClient;

  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres', clock });
    desk = deskClient(t, clock);
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  async function act(ticket: string, body: Record<string, unknown>): Promise<CaseView> {
    const reply = await desk.act(ticket, body);
    expect(reply.status, reply.body.error).toBe(200);
    return reply.body;
  }

  it('acknowledges in French within 24 hours, escalates by email then by post, and resolves after the last step', async () => {
    clock.set(new Date('2027-03-01T08:00:00Z'));
    const address = `lea@${SENDER_DOMAIN}`;
    await desk.send({
      from: `Léa Martin <${address}>`,
      to: 'complaints@support.example',
      subject: 'Problème avec le transfert de mon nom de domaine',
      text: "Bonjour,\n\nj'ai demandé le transfert de mon nom de domaine il y a trois semaines et rien ne s'est passé depuis. Votre service client ne répond pas à mes messages.\n\nCordialement,\nLéa Martin\n",
    });

    const ack = await desk.waitForMail({ to: address }, 'acknowledgement');
    expect(ack.parsed.subject).toMatch(/Accusé de réception de votre plainte/);
    expect(ack.parsed.from?.value[0]?.address).toBe('complaints@support.example');
    expect(ack.parsed.replyTo?.value[0]?.address).toMatch(/^case\+cmp-2027-\d{6}\.[0-9a-f]{16}@support\.example$/);
    const ticket = ack.ticket as string;
    const opened = await waitFor(async () => {
      const view = await desk.view(ticket);
      return view.state === 'acknowledged' ? view : undefined;
    }, 10_000, 'acknowledged');
    expect(opened).toMatchObject({ brand: 'support-example', language: 'fr', escalationStep: 0 });
    // 24 clock hours, not working days; met at once.
    const acknowledge = deadline(opened, 'acknowledge');
    expect(acknowledge).toMatchObject({ dueAt: '2027-03-02T08:00:00.000Z', status: 'met' });
    expect(Date.parse(acknowledge.metAt as string)).toBeLessThanOrEqual(Date.parse(acknowledge.dueAt));
    // 10 working days from Monday 1 March.
    expect(deadline(opened, 'respond').dueAt).toBe('2027-03-15T22:59:59.999Z');

    // Before our response there is nothing to take to management.
    const early = await desk.act(ticket, { action: 'record-postal-escalation' });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatch(/step 2/);

    clock.set(new Date('2027-03-03T08:00:00Z'));
    const responded = await act(ticket, { action: 'respond', text: 'Madame,\n\nle transfert était bloqué par le registraire cédant ; il est terminé.' });
    expect(responded.state).toBe('responded');
    expect(deadline(responded, 'respond').status).toBe('met');
    expect(deadline(responded, 'escalation_window').status).toBe('pending');
    const response = await desk.waitForMail({ to: address, subject: /Notre réponse/ }, 'response');
    expect(response.parsed.text).toContain('« Transmission de réclamation - Etape 1 »');

    // Step 1 by email to the complaints address, the ticket tag in the subject.
    clock.set(new Date('2027-03-05T08:00:00Z'));
    await desk.send({
      from: `Léa Martin <${address}>`,
      to: 'complaints@support.example',
      subject: `Transmission de réclamation - Etape 1 [${ticket}]`,
      text: `Bonjour,\n\nconcernant le ticket ${ticket} : votre réponse ne me satisfait pas, car mon site est toujours inaccessible depuis le transfert. Je souhaite que vous rétablissiez le service au plus vite.\n\nLéa Martin\n`,
    });
    const step1 = await desk.waitForMail({ to: address, subject: /escalade de votre plainte \(étape 1\)/ }, 'step 1 received');
    // 10 working days from Friday 5 March.
    expect(step1.parsed.text).toContain('vendredi 19 mars 2027');
    const escalated1 = await desk.view(ticket);
    expect(escalated1).toMatchObject({ state: 'escalated', escalationStep: 1 });
    expect(deadline(escalated1, 'escalation_window').status).toBe('met');
    expect(deadline(escalated1, 'final_response', 1)).toMatchObject({ status: 'pending', dueAt: '2027-03-19T22:59:59.999Z' });

    // Our final answer to step 1 opens a new window for step 2.
    clock.set(new Date('2027-03-10T08:00:00Z'));
    const answered1 = await act(ticket, { action: 'respond', text: 'Madame,\n\nnotre équipe a rétabli votre service.' });
    expect(answered1).toMatchObject({ state: 'responded', escalationStep: 1 });
    expect(deadline(answered1, 'final_response', 1)).toMatchObject({ status: 'met', metAt: '2027-03-10T08:00:00.000Z' });
    expect(deadline(answered1, 'escalation_window', 1).status).toBe('pending');
    await waitFor(async () => (await desk.mails({ to: address, subject: /Notre réponse/ })).length === 2, 10_000, 'final response to step 1');

    // Step 2 arrives by post to management; a specialist records it.
    clock.set(new Date('2027-03-15T08:00:00Z'));
    const escalated2 = await act(ticket, { action: 'record-postal-escalation' });
    expect(escalated2).toMatchObject({ state: 'escalated', escalationStep: 2 });
    expect(deadline(escalated2, 'escalation_window', 1).status).toBe('met');
    // 10 working days from Monday 15 March: Good Friday (26th) and Easter Monday (29th) do not
    // count, and the day ends in summer time.
    expect(deadline(escalated2, 'final_response', 2)).toMatchObject({ status: 'pending', dueAt: '2027-03-31T21:59:59.999Z' });
    expect(escalated2.events).toContainEqual(expect.objectContaining({ type: 'escalated', data: { step: 2, channel: 'post' } }));
    const step2 = await desk.waitForMail({ to: address, subject: /escalade de votre plainte \(étape 2\)/ }, 'step 2 acknowledged');
    expect(step2.parsed.text).toContain('transmise à la direction');
    expect(step2.parsed.text).toContain('mercredi 31 mars 2027');

    clock.set(new Date('2027-03-22T08:00:00Z'));
    const final = await act(ticket, { action: 'respond', text: 'Madame,\n\nla direction a examiné votre réclamation et vous accorde un geste commercial.' });
    expect(final).toMatchObject({ state: 'resolved', resolution: 'final_response' });
    expect(deadline(final, 'final_response', 2)).toMatchObject({ status: 'met', metAt: '2027-03-22T08:00:00.000Z' });
    expect(final.deadlines.filter((d) => d.status === 'pending')).toEqual([]);
    await waitFor(async () => (await desk.mails({ to: address, subject: /Notre réponse/ })).length === 3, 10_000, 'final response to step 2');

    const afterEnd = await desk.act(ticket, { action: 'record-postal-escalation' });
    expect(afterEnd.status).toBe(409);
  });

  it('refuses a postal escalation on a brand with the standard policy', async () => {
    clock.set(new Date('2027-03-01T08:00:00Z'));
    const address = `max@${SENDER_DOMAIN}`;
    await desk.send({
      from: `Max <${address}>`,
      to: 'complaints@example.net',
      subject: 'Problem with the transfer of my domain',
      text: 'Hello,\n\nI asked for the transfer of my domain name three weeks ago and nothing has happened since.\n\nRegards\n',
    });
    const ticket = (await desk.waitForMail({ to: address }, 'acknowledgement')).ticket as string;
    clock.set(new Date('2027-03-02T08:00:00Z'));
    await act(ticket, { action: 'respond', text: 'Dear Max,\n\nthe transfer is complete.' });

    const refused = await desk.act(ticket, { action: 'record-postal-escalation' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/standard policy/);
    expect((await desk.view(ticket)).state).toBe('responded');
  });
});
