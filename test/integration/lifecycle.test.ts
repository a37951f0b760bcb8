import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseView } from '../../src/cases/view.js';
import { createAccount } from '../../src/staff/accounts.js';
import { issueToken } from '../../src/staff/tokens.js';
import { delayedDeadlineJobs, fireAgain, fireDueJobs, firesAt } from '../support/deadlines.js';
import { deskClient, type DeskClient } from '../support/desk.js';
import { startTestApp, TestClock, waitFor, type TestApp } from '../support/harness.js';
import { SENDER_DOMAIN } from '../support/mail.js';

/**
 * The promises of seed 000 kept on a test clock, on real PostgreSQL and Redis:
 * complaints arrive over SMTP, specialists act through the API, deadline jobs
 * are promoted once the clock has passed them. Brand example-net follows the
 * standard policy in Europe/Berlin with Saarland's holidays.
 */

const SPECIALISTS = 'abuse-team@example.com';
/** Friday 18 December 2026, 10:00 in Berlin. */
const FRIDAY_BEFORE_CHRISTMAS = new Date('2026-12-18T09:00:00Z');
/** End of Tuesday 5 January 2027 in Berlin: 10 working days after 18 December (holidays 25/26 Dec, 1 Jan). */
const RESPOND_BY = '2027-01-05T22:59:59.999Z';

const englishComplaint = {
  subject: 'Problem with the transfer of my domain',
  text: 'Hello,\n\nI asked for the transfer of my domain name three weeks ago and nothing has happened since. Your support team does not answer my messages.\n\nPlease look into this.\n\nRegards\n',
};

function deadline(view: CaseView, kind: string, step = 0) {
  const found = view.deadlines.find((d) => d.kind === kind && d.step === step);
  if (!found) throw new Error(`case ${view.ticket} has no ${kind} deadline (step ${step}); it has ${view.deadlines.map((d) => `${d.kind}/${d.step}`).join(', ')}`);
  return found;
}

describe('case lifecycle on a test clock (PostgreSQL, Redis, SMTP)', () => {
  const clock = new TestClock(FRIDAY_BEFORE_CHRISTMAS);
  let t: TestApp;
  let desk: DeskClient;
  /** A personal API token of the specialist jane.doe@example.com. */
  let janesToken: string;

  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres', clock });
    desk = deskClient(t, clock);
    const db = t.app.database.prisma;
    const { user } = await createAccount(db, { name: 'jane.doe@example.com', role: 'specialist' }, clock.now());
    janesToken = (await issueToken(db, user.id, 'lifecycle test', clock.now())).token;
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  /** A complaint from `local`@sender.test, received now; resolves to its ticket once acknowledged. */
  async function openComplaint(local: string, message = englishComplaint, to = 'complaints@example.net'): Promise<{ ticket: string; address: string; messageId: string }> {
    const address = `${local}@${SENDER_DOMAIN}`;
    const messageId = await desk.send({ from: `${local} <${address}>`, to, ...message });
    const ack = await desk.waitForMail({ to: address }, `acknowledgement to ${address}`);
    expect(ack.ticket).toMatch(/^CMP-\d{4}-\d{6}$/);
    const ticket = ack.ticket as string;
    await waitFor(async () => (await desk.view(ticket)).state === 'acknowledged', 10_000, `${ticket} acknowledged`);
    return { ticket, address, messageId };
  }

  async function respond(ticket: string, text: string, token?: string): Promise<CaseView> {
    const reply = await desk.act(ticket, { action: 'respond', text }, token);
    expect(reply.status, reply.body.error).toBe(200);
    return reply.body;
  }

  /** Waits until everything the case queued has gone out, so counts can be compared. */
  async function quiet(ticket: string): Promise<{ events: number; messages: number; sent: number; deadlines: string[] }> {
    const view = await waitFor(async () => {
      const current = await desk.view(ticket);
      return current.messages.every((m) => m.direction === 'in' || !['queued', 'delivered'].includes(m.status ?? '')) ? current : undefined;
    }, 10_000, `${ticket} outbox drained`);
    return {
      events: view.events.length,
      messages: view.messages.length,
      sent: (await desk.mails({ ticket })).length,
      deadlines: view.deadlines.map((d) => `${d.kind}/${d.step}:${d.status}:${d.metAt}:${d.marginWorkingMinutes}`),
    };
  }

  it('acknowledges with the respond date, relays the response, and resolves the case when nobody escalates', async () => {
    clock.set(FRIDAY_BEFORE_CHRISTMAS);
    const { ticket, address, messageId } = await openComplaint('alice');

    const ack = (await desk.mails({ to: address }))[0];
    expect(ack?.parsed.text).toMatch(/by Tuesday,? 5 January 2027/);
    const opened = await desk.view(ticket);
    expect(deadline(opened, 'acknowledge')).toMatchObject({ dueAt: '2026-12-22T22:59:59.999Z', status: 'met' });
    expect(deadline(opened, 'respond')).toMatchObject({ dueAt: RESPOND_BY, originalDueAt: RESPOND_BY, status: 'pending' });

    // Monday 21 December, 10:00 in Berlin.
    clock.set(new Date('2026-12-21T09:00:00Z'));
    const responded = await respond(ticket, 'Dear Alice,\n\nthe transfer was held by the losing registrar; it has been completed today.', janesToken);
    expect(responded.state).toBe('responded');
    // Recorded under the account whose token made the request.
    expect(responded.events).toContainEqual(expect.objectContaining({ type: 'responded', actor: 'jane.doe@example.com' }));
    expect(deadline(responded, 'respond')).toMatchObject({ status: 'met', metAt: '2026-12-21T09:00:00.000Z' });
    expect(deadline(responded, 'respond').marginWorkingMinutes).toBeLessThan(0);
    // 20 working days from Monday 21 December: Christmas and New Year's Day do not count.
    expect(deadline(responded, 'escalation_window')).toMatchObject({ status: 'pending', dueAt: '2027-01-20T22:59:59.999Z' });

    const response = await desk.waitForMail({ to: address, subject: /Our response/ }, 'response to the complainant');
    expect(response.parsed.from?.value[0]?.address).toBe('complaints@example.net');
    expect(response.parsed.replyTo?.value[0]?.address).toMatch(new RegExp(`^case\\+${ticket.toLowerCase()}\\.[0-9a-f]{16}@example\\.net$`));
    expect(response.parsed.subject).toContain(`[${ticket}]`);
    expect(response.parsed.inReplyTo).toBe(messageId);
    expect(response.parsed.text).toContain('it has been completed today');
    // The specialist's words go out from the desk; who wrote them stays inside.
    expect(response.text).not.toMatch(/jane\.doe|abuse-team|@example\.com/i);
    expect(response.text).not.toMatch(/^Auto-Submitted:/im);

    // The day the window closes, nothing has happened yet.
    clock.set(new Date('2027-01-20T12:00:00Z'));
    const early = await fireDueJobs(t, clock.now(), { ticket });
    expect(early.map((job) => job.outcome)).not.toContain('window_closed');
    expect((await desk.view(ticket)).state).toBe('responded');

    // Thursday 21 January, 09:00 in Berlin: the window has passed without an escalation.
    clock.set(new Date('2027-01-21T08:00:00Z'));
    const fired = await fireDueJobs(t, clock.now(), { ticket });
    expect(fired.map((job) => job.outcome)).toEqual(['window_closed']);
    const resolved = await desk.view(ticket);
    expect(resolved).toMatchObject({ state: 'resolved', resolution: 'no_escalation', resolvedAt: '2027-01-20T22:59:59.999Z' });
    expect(deadline(resolved, 'escalation_window').status).toBe('met');
    expect(resolved.events).toContainEqual(expect.objectContaining({ type: 'resolved', actor: 'system', reason: 'no_escalation' }));
    expect(resolved.events).toContainEqual(expect.objectContaining({ type: 'state_changed', data: { from: 'responded', to: 'resolved' } }));
  });

  it('escalates a complete escalated complaint in the writer language, and closes the case with the final response', async () => {
    // Monday 1 March 2027, 09:00 in Berlin.
    clock.set(new Date('2027-03-01T08:00:00Z'));
    const { ticket, address } = await openComplaint('bruno', {
      subject: 'Probleme mit meinem Domainumzug',
      text: 'Sehr geehrte Damen und Herren,\n\nich habe vor drei Wochen den Umzug meiner Domain beantragt, und seitdem ist nichts passiert. Ihr Kundendienst antwortet nicht.\n\nMit freundlichen Grüßen\nBruno\n',
    });
    clock.set(new Date('2027-03-02T08:00:00Z'));
    await respond(ticket, 'Sehr geehrter Herr Bruno,\n\nder Umzug wurde von der abgebenden Stelle blockiert; wir haben ihn heute abgeschlossen.');
    const response = await desk.waitForMail({ to: address, subject: /Unsere Antwort/ }, 'response');
    const replyAddress = response.parsed.replyTo?.value[0]?.address as string;

    // Too short to be "a clear description": the case waits and the reply says what is missing.
    clock.set(new Date('2027-03-03T08:00:00Z'));
    await desk.send({
      from: `Bruno <${address}>`,
      to: 'complaints@example.net',
      subject: `AW: [${ticket}] Unsere Antwort - Beschwerde`,
      text: 'Beschwerde!\n',
      headers: { 'In-Reply-To': response.parsed.messageId as string, References: response.parsed.messageId as string },
    });
    const missing = await desk.waitForMail({ to: address, subject: /fehlende Angaben/ }, 'missing information reply');
    expect(missing.parsed.text).toContain('eine genaue Erläuterung Ihres Problems oder Ihrer Beschwerde');
    expect(missing.parsed.text).not.toContain('Ticketnummer oder Details Ihrer vorherigen Beschwerde');
    const waiting = await desk.view(ticket);
    expect(waiting.state).toBe('responded');
    expect(waiting.events).toContainEqual(expect.objectContaining({ type: 'escalation_incomplete', data: { missing: ['description'] } }));

    // Thursday 4 March: the complete escalation, to the case reply address.
    clock.set(new Date('2027-03-04T08:00:00Z'));
    await desk.send({
      from: `Bruno <${address}>`,
      to: replyAddress,
      subject: `AW: [${ticket}] Unsere Antwort - Beschwerde`,
      text: `Zu meinem Vorgang ${ticket}: Ihre Antwort stellt mich nicht zufrieden, denn der Umzug ist bis heute nicht abgeschlossen und meine Website ist seit Tagen nicht erreichbar. Ich erwarte, dass Sie den Umzug sofort abschließen.\n`,
    });
    const received = await desk.waitForMail({ to: address, subject: /Eingangsbestätigung Ihrer eskalierten Beschwerde/ }, 'escalation received');
    // 10 working days from Thursday 4 March.
    expect(received.parsed.text).toContain('Donnerstag, 18. März 2027');
    expect(received.text).toMatch(/^Auto-Submitted: auto-replied/m);
    const escalated = await desk.view(ticket);
    expect(escalated).toMatchObject({ state: 'escalated', escalationStep: 1 });
    expect(deadline(escalated, 'escalation_window').status).toBe('met');
    expect(deadline(escalated, 'final_response', 1)).toMatchObject({ status: 'pending', dueAt: '2027-03-18T22:59:59.999Z' });
    await desk.waitForMail({ to: SPECIALISTS, ticket, subject: /escalation/i }, 'escalation notice to the specialists');

    clock.set(new Date('2027-03-10T08:00:00Z'));
    const final = await respond(ticket, 'Sehr geehrter Herr Bruno,\n\nwir haben den Umzug heute abgeschlossen und entschuldigen uns für die Verzögerung.');
    expect(final).toMatchObject({ state: 'resolved', resolution: 'final_response' });
    expect(deadline(final, 'final_response', 1)).toMatchObject({ status: 'met', metAt: '2027-03-10T08:00:00.000Z' });
    // The standard policy has one escalation step: no new window opens.
    expect(final.deadlines.filter((d) => d.kind === 'escalation_window')).toHaveLength(1);
    await waitFor(async () => (await desk.mails({ to: address, subject: /Unsere Antwort/ })).length === 2, 10_000, 'final response sent');
  });

  it('tells a complainant who escalates after the window closed when the case was closed', async () => {
    // Monday 7 June 2027, 09:00 in Berlin (summer time).
    clock.set(new Date('2027-06-07T07:00:00Z'));
    const { ticket, address } = await openComplaint('carla');
    clock.set(new Date('2027-06-08T07:00:00Z'));
    const responded = await respond(ticket, 'Dear Carla,\n\nthe transfer has been completed.');
    // 20 working days from Tuesday 8 June: Tuesday 6 July, end of day in summer time.
    expect(deadline(responded, 'escalation_window').dueAt).toBe('2027-07-06T21:59:59.999Z');

    clock.set(new Date('2027-07-07T07:00:00Z'));
    expect((await fireDueJobs(t, clock.now(), { ticket })).map((job) => job.outcome)).toContain('window_closed');
    expect(await desk.view(ticket)).toMatchObject({ state: 'resolved', resolvedAt: '2027-07-06T21:59:59.999Z' });

    clock.set(new Date('2027-07-08T07:00:00Z'));
    await desk.send({
      from: `Carla <${address}>`,
      to: 'complaints@example.net',
      subject: `Complaint [${ticket}]`,
      text: `About ticket ${ticket}: I am not satisfied with your response because my website is still unreachable after the transfer and nobody helps me.\n`,
    });
    const closed = await desk.waitForMail({ to: address, subject: /Your case has been closed/ }, 'window closed reply');
    expect(closed.parsed.text).toContain('closed it on Tuesday, 6 July 2027');
    expect(closed.parsed.text).toContain('please write to complaints@example.net');
    const after = await desk.view(ticket);
    expect(after.state).toBe('resolved');
    expect(after.events).toContainEqual(expect.objectContaining({ type: 'escalation_refused' }));
    expect(after.deadlines.some((d) => d.kind === 'final_response')).toBe(false);
  });

  it('refuses an escalation that arrives after the window ended but before its job has run', async () => {
    clock.set(new Date('2027-06-07T07:00:00Z'));
    const { ticket, address } = await openComplaint('dora');
    clock.set(new Date('2027-06-08T07:00:00Z'));
    await respond(ticket, 'Dear Dora,\n\nthe transfer has been completed.');

    // The window ended on Tuesday 6 July; the worker has not woken up yet.
    clock.set(new Date('2027-07-07T07:00:00Z'));
    await desk.send({
      from: `Dora <${address}>`,
      to: 'complaints@example.net',
      subject: `Complaint [${ticket}]`,
      text: `About ticket ${ticket}: I am not satisfied with your response because my website is still unreachable after the transfer and nobody helps me.\n`,
    });
    const closed = await desk.waitForMail({ to: address, subject: /Your case has been closed/ }, 'window closed reply');
    expect(closed.parsed.text).toContain('closed it on Tuesday, 6 July 2027');
    expect((await desk.view(ticket)).state).not.toBe('escalated');

    expect((await fireDueJobs(t, clock.now(), { ticket })).map((job) => job.outcome)).toContain('window_closed');
    expect(await desk.view(ticket)).toMatchObject({ state: 'resolved', resolution: 'no_escalation' });
  });

  it('extends the response deadline before it passes, tells the complainant, and keeps the original promise for the SLA', async () => {
    clock.set(FRIDAY_BEFORE_CHRISTMAS);
    const { ticket, address } = await openComplaint('erik');
    const [respondRow] = (await desk.view(ticket)).deadlines.filter((d) => d.kind === 'respond');
    const respondId = (await t.app.database.prisma.deadline.findFirstOrThrow({ where: { case: { ticket }, kind: 'respond' } })).id;
    const jobsOf = async () => (await delayedDeadlineJobs(t, { ticket })).filter((job) => job.data.deadlineId === respondId).map((job) => `${job.name}@${new Date(firesAt(job)).toISOString()}`).sort();
    // Reminder two working days before the due day ends: 4 January and 31 December are left.
    expect(await jobsOf()).toEqual([`due@${RESPOND_BY}`, 'remind@2026-12-31T22:59:59.999Z']);
    expect(respondRow?.dueAt).toBe(RESPOND_BY);

    // Monday 28 December.
    clock.set(new Date('2026-12-28T09:00:00Z'));
    for (const [until, reason] of [
      ['2027-01-16', /not a working day/],
      ['2027-01-06T12:00', /YYYY-MM-DD/],
      ['2027-01-05', /not later than the current deadline/],
    ] as const) {
      const refused = await desk.act(ticket, { action: 'extend', until, reason: 'waiting for the registry' });
      expect(refused.status === 409 || refused.status === 400, `${until}: ${refused.status}`).toBe(true);
      expect(refused.body.error).toMatch(reason);
    }
    const extended = await desk.act(ticket, { action: 'extend', until: '2027-01-12', reason: 'We are waiting for the registry to confirm the transfer.' });
    expect(extended.status, extended.body.error).toBe(200);
    expect(deadline(extended.body, 'respond')).toMatchObject({ status: 'pending', dueAt: '2027-01-12T22:59:59.999Z', originalDueAt: RESPOND_BY });
    expect(extended.body.events).toContainEqual(expect.objectContaining({ type: 'deadline_extended', reason: 'We are waiting for the registry to confirm the transfer.' }));

    const notice = await desk.waitForMail({ to: address, subject: /New date for our response/ }, 'extension notice');
    expect(notice.parsed.text).toContain('by Tuesday, 12 January 2027');
    expect(notice.parsed.text).toContain('We are waiting for the registry to confirm the transfer.');
    expect(notice.parsed.subject).toContain(`[${ticket}]`);
    // Rescheduling replaced the jobs: one due job and one reminder, both for the new date.
    expect(await jobsOf()).toEqual(['due@2027-01-12T22:59:59.999Z', 'remind@2027-01-08T22:59:59.999Z']);

    // Friday 8 January, 10:00: past the original date, before the new one. Nothing fires for the old date.
    clock.set(new Date('2027-01-08T09:00:00Z'));
    expect((await fireDueJobs(t, clock.now(), { ticket })).map((job) => job.outcome)).not.toContain('breached');
    expect(await desk.mails({ to: SPECIALISTS, ticket, subject: /Deadline missed/ })).toHaveLength(0);
    // A job for the old instant that wakes anyway finds the deadline moved.
    expect((await fireAgain(t, { id: `due-${respondId}-${Date.parse(RESPOND_BY)}`, name: 'due', data: { deadlineId: respondId, dueAt: Date.parse(RESPOND_BY) } })).outcome).toBe('stale');

    // The response keeps the promise told to the complainant, but the SLA is judged against the
    // original ten working days: 6 and 7 January and ten hours of the 8th late.
    const responded = await respond(ticket, 'Dear Erik,\n\nthe registry has confirmed the transfer.');
    expect(deadline(responded, 'respond')).toMatchObject({
      status: 'breached',
      metAt: '2027-01-08T09:00:00.000Z',
      dueAt: '2027-01-12T22:59:59.999Z',
      originalDueAt: RESPOND_BY,
      marginWorkingMinutes: 2 * 24 * 60 + 10 * 60,
    });

    clock.set(new Date('2027-01-13T09:00:00Z'));
    expect((await fireDueJobs(t, clock.now(), { ticket, name: 'due' })).map((job) => job.outcome)).toEqual(['stale']);
    expect(await desk.mails({ to: SPECIALISTS, ticket, subject: /Deadline missed/ })).toHaveLength(0);
  });

  it('reminds the specialists before the response deadline and alerts them when it is missed', async () => {
    clock.set(FRIDAY_BEFORE_CHRISTMAS);
    const { ticket } = await openComplaint('frida');

    // New Year's Day, 09:00: the reminder (end of 31 December) has come due.
    clock.set(new Date('2027-01-01T08:00:00Z'));
    const reminded = await fireDueJobs(t, clock.now(), { ticket, name: 'remind' });
    expect(reminded.map((job) => job.outcome)).toEqual(['reminded']);
    const reminder = await desk.waitForMail({ to: SPECIALISTS, ticket, subject: /Reminder: Response to the complainant due/ }, 'reminder');
    expect(reminder.parsed.text).toMatch(/falls due on Tuesday,? 5 January 2027/);
    expect((await desk.view(ticket)).events).toContainEqual(expect.objectContaining({ type: 'reminder_sent' }));
    const beforeSecondReminder = await quiet(ticket);
    expect((await fireAgain(t, reminded[0] as { id: string; name: string })).outcome).toBe('stale');
    expect(await quiet(ticket)).toEqual(beforeSecondReminder);

    // Wednesday 6 January, 09:00 in Berlin: the deadline passed at the end of the 5th.
    clock.set(new Date('2027-01-06T08:00:00Z'));
    const late = await desk.act(ticket, { action: 'extend', until: '2027-01-12' });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatch(/passed/);

    const fired = await fireDueJobs(t, clock.now(), { ticket, name: 'due' });
    expect(fired.map((job) => job.outcome).sort()).toEqual(['breached', 'stale']);
    const alert = await desk.waitForMail({ to: SPECIALISTS, ticket, subject: /Deadline missed: Response to the complainant/ }, 'breach alert');
    expect(alert.text).toMatch(/^Auto-Submitted: auto-generated/m);
    const breached = await desk.view(ticket);
    // Nine working hours past the end of 5 January when the alert went out.
    expect(deadline(breached, 'respond')).toMatchObject({ status: 'breached', metAt: null, marginWorkingMinutes: 9 * 60 });
    expect(breached.events.filter((e) => e.type === 'deadline_breached')).toHaveLength(1);

    // A second wake-up of the same job changes nothing.
    const beforeSecondAlert = await quiet(ticket);
    const breachJob = fired.find((job) => job.outcome === 'breached') as { id: string; name: string };
    expect((await fireAgain(t, breachJob)).outcome).toBe('stale');
    expect(await quiet(ticket)).toEqual(beforeSecondAlert);

    // Answered a day later: the record shows how late, with the one breach event.
    clock.set(new Date('2027-01-07T08:00:00Z'));
    const responded = await respond(ticket, 'Dear Frida,\n\nplease excuse the delay; the transfer is complete.');
    expect(deadline(responded, 'respond')).toMatchObject({ status: 'breached', metAt: '2027-01-07T08:00:00.000Z', marginWorkingMinutes: 24 * 60 + 9 * 60 });
    expect(responded.events.filter((e) => e.type === 'deadline_breached')).toHaveLength(1);
  });

  it('changes nothing when a deadline job fires after its step was met, or fires twice', async () => {
    clock.set(FRIDAY_BEFORE_CHRISTMAS);
    const { ticket } = await openComplaint('gustav');
    clock.set(new Date('2026-12-21T09:00:00Z'));
    await respond(ticket, 'Dear Gustav,\n\nthe transfer is complete.');

    // Past the response deadline: its jobs wake up but the step was met.
    clock.set(new Date('2027-01-06T08:00:00Z'));
    const before = await quiet(ticket);
    const fired = await fireDueJobs(t, clock.now(), { ticket });
    expect(fired.map((job) => `${job.name}:${job.outcome}`).sort()).toEqual(['due:stale', 'due:stale', 'remind:stale']);
    expect(await quiet(ticket)).toEqual(before);

    // The same job id again is refused by the queue (deterministic ids); the same data under another id is stale.
    const respondDue = fired.find((job) => job.name === 'due' && firesAt(job) === Date.parse(RESPOND_BY)) as (typeof fired)[number];
    const original = await t.app.queues.deadlines.getJob(respondDue.id);
    await t.app.queues.deadlines.add('due', original?.data as { deadlineId: string; dueAt: number }, { jobId: respondDue.id });
    expect(await t.app.queues.deadlines.getJobState(respondDue.id)).toBe('completed');
    expect((await fireAgain(t, respondDue)).outcome).toBe('stale');
    expect(await quiet(ticket)).toEqual(before);

    // The window closes once; the same wake-up twice more resolves nothing further.
    clock.set(new Date('2027-01-21T08:00:00Z'));
    const window = await fireDueJobs(t, clock.now(), { ticket });
    expect(window.map((job) => job.outcome)).toEqual(['window_closed']);
    const closed = await quiet(ticket);
    expect((await fireAgain(t, window[0] as (typeof window)[number], 1)).outcome).toBe('stale');
    expect((await fireAgain(t, window[0] as (typeof window)[number], 2)).outcome).toBe('stale');
    expect(await quiet(ticket)).toEqual(closed);
    expect((await desk.view(ticket)).events.filter((e) => e.type === 'resolved')).toHaveLength(1);
  });

  it('lets an action wait for a state change committing at the same moment instead of failing it', async () => {
    clock.set(new Date('2027-02-01T09:00:00Z'));
    const address = `ivan@${SENDER_DOMAIN}`;
    // Hold the acknowledgement back so the case stays `received` until this test moves it.
    t.transport.failing = new Error('relay unavailable');
    let ticket: string;
    try {
      await desk.send({ from: `Ivan <${address}>`, to: 'complaints@example.net', ...englishComplaint });
      const opened = await waitFor(() => t.app.database.prisma.case.findFirst({ where: { complainantAddress: address } }), 10_000, 'case opened');
      ticket = opened.ticket;
      expect(opened.state).toBe('received');
    } finally {
      t.transport.failing = null;
    }

    // What the acknowledgement going out does, committed while the specialist's respond is under way.
    let action: Promise<Awaited<ReturnType<DeskClient['act']>>> | undefined;
    await t.app.database.prisma.$transaction(async (tx) => {
      await tx.case.updateMany({ where: { ticket, state: 'received' }, data: { state: 'acknowledged' } });
      const [holder] = await tx.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
      action = desk.act(ticket, { action: 'respond', text: 'Dear Ivan,\n\nthe transfer is complete.' });
      // Commit only once the action is waiting for this transaction's lock on the case.
      await waitFor(
        async () => {
          const [row] = await t.app.database.prisma.$queryRaw<Array<{ blocked: number }>>`SELECT count(*)::int AS blocked FROM pg_stat_activity WHERE ${holder?.pid}::int = ANY(pg_blocking_pids(pid))`;
          return (row?.blocked ?? 0) > 0;
        },
        10_000,
        'the action waiting for the case lock',
      );
    }, { timeout: 15_000 });
    const reply = await (action as NonNullable<typeof action>);
    expect(reply.status, reply.body.error).toBe(200);
    expect(reply.body.state).toBe('responded');
  });

  it('answers invalid actions with 409 and a reason, bad bodies with 400, unknown tickets with 404', async () => {
    clock.set(new Date('2027-02-01T09:00:00Z'));
    const { ticket } = await openComplaint('hannah');

    const postal = await desk.act(ticket, { action: 'record-postal-escalation' });
    expect(postal.status).toBe(409);
    expect(postal.body.error).toMatch(/standard policy/);

    await respond(ticket, 'Dear Hannah,\n\nthe transfer is complete.');
    const again = await desk.act(ticket, { action: 'respond', text: 'Once more.' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/responded/);

    const resolved = await desk.act(ticket, { action: 'resolve', outcome: 'transfer completed' });
    expect(resolved.status, resolved.body.error).toBe(200);
    expect(resolved.body.state).toBe('resolved');
    for (const body of [
      { action: 'respond', text: 'After the end.' },
      { action: 'extend', until: '2027-02-20' },
      { action: 'need-info', text: 'Which domain?' },
      { action: 'resolve' },
    ]) {
      const refused = await desk.act(ticket, body);
      expect(refused.status, body.action).toBe(409);
      expect(refused.body.error, body.action).toMatch(/resolved|no pending/);
    }

    for (const body of [
      { action: 'frobnicate' },
      { action: 'respond' },
      { action: 'respond', text: '   ' },
      { action: 'extend', until: 'next week' },
      { action: 'assign', to: 'not an address' },
      { text: 'no action' },
    ]) {
      const refused = await desk.act(ticket, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error).toEqual(expect.any(String));
    }
    const notJson = await desk.post(`/cases/${ticket}/actions`, '{"action": respond');
    expect(notJson.status).toBe(400);

    const unknown = await desk.act('CMP-2026-999999', { action: 'respond', text: 'Hello.' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/CMP-2026-999999/);
  });
});
