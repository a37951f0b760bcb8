import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer } from '../../src/dns/zone-server.js';
import { TEST_REDIS_URL, dropTestState, waitFor } from '../support/harness.js';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage, testZone } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';
import { API_TOKEN, createFaultState, deskEnv, type FaultState } from '../faults/support/desk.js';
import { startProduct, type ProductProcess } from '../faults/support/product.js';
import { startSmtpSink, type SmtpSink } from '../faults/support/smtp-sink.js';

/**
 * Scale-out (issue 8): two SMTP listeners, two workers and one web process,
 * separate processes against one PostgreSQL and one Redis, the load spread over
 * both listeners. Every message is processed exactly once and every deadline
 * fires once, however the workers race.
 */
const MESSAGES = 40;

describe('split roles on many processes', () => {
  let state: FaultState;
  let sink: SmtpSink;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  let logDir: string;
  const processes: ProductProcess[] = [];

  beforeAll(async () => {
    state = await createFaultState('split');
    dns = await startDnsServer({ zone: testZone() });
    sink = await startSmtpSink();
    logDir = mkdtempSync(join(tmpdir(), 'abuse-desk-split-logs-'));
    const env = deskEnv(state, { REDIS_URL: TEST_REDIS_URL, DNS_SERVERS: dns.address, OUTBOUND_SMTP_URL: sink.url, WORKER_CONCURRENCY: '4' });
    const layout: Array<[string, 'smtp' | 'worker' | 'web']> = [
      ['smtp-1', 'smtp'],
      ['smtp-2', 'smtp'],
      ['worker-1', 'worker'],
      ['worker-2', 'worker'],
      ['web', 'web'],
    ];
    processes.push(...(await Promise.all(layout.map(([name, role]) => startProduct({ name, env, roles: [role], logDir })))));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map(async (child) => {
      child.signal('SIGTERM');
      await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (!child.exitStatus()) await child.kill();
    }));
    await sink?.stop();
    await dns?.stop();
    await state?.drop();
    await dropTestState({ schema: null, prefix: state.prefix, dataDir: logDir });
    rmSync(logDir, { recursive: true, force: true });
  }, 60_000);

  it('processes every message exactly once across both listeners and both workers', async () => {
    const listeners = processes.filter((child) => child.smtpPort).map((child) => child.smtpPort as number);
    expect(listeners).toHaveLength(2);
    const messages = await Promise.all(
      Array.from({ length: MESSAGES }, (_, i) =>
        signMessage(
          buildMessage({ from: `writer${i}@${SENDER_DOMAIN}`, to: 'complaints@example.net', subject: `Complaint number ${i}`, text: `This is complaint number ${i}; nobody has answered my request for weeks.\n` }),
          SENDER_KEY,
        ),
      ),
    );
    // Four senders at a time, alternating listeners.
    for (let i = 0; i < MESSAGES; i += 4) {
      const batch = messages.slice(i, i + 4).map((raw, j) =>
        sendMail({ port: listeners[(i + j) % 2] as number, from: `writer${i + j}@${SENDER_DOMAIN}`, to: ['complaints@example.net'], raw }),
      );
      for (const result of await Promise.all(batch)) expect(result.final.code).toBe(250);
    }
    // And each message delivered a second time, to the other listener: never a second case.
    const again = await sendMail({ port: listeners[1] as number, from: `writer0@${SENDER_DOMAIN}`, to: ['complaints@example.net'], raw: messages[0] as Buffer });
    expect(again.final.code).toBe(250);

    const prisma = state.db.prisma;
    await waitFor(async () => (await prisma.inboundMessage.count({ where: { status: 'processed' } })) === MESSAGES, 90_000, 'all processed');
    expect(await prisma.case.count()).toBe(MESSAGES);
    const acks = await waitFor(() => {
      const found = sink.delivered.filter((m) => /^Auto-Submitted: auto-replied/m.test(m.text));
      return found.length >= MESSAGES ? found : undefined;
    }, 60_000, 'acknowledgements');
    const tickets = acks.map((m) => /X-Ticket-ID: (\S+)/.exec(m.text)?.[1]);
    expect(new Set(tickets).size).toBe(MESSAGES);
    expect(acks).toHaveLength(MESSAGES);

    const web = processes.find((child) => child.httpPort) as ProductProcess;
    const listed = (await (await fetch(`http://127.0.0.1:${web.httpPort}/api/cases?limit=500`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })).json()) as { items: unknown[] };
    expect(listed.items).toHaveLength(MESSAGES);
  }, 180_000);

  it('fires each deadline once however many workers race for it', async () => {
    const prisma = state.db.prisma;
    const respond = await prisma.deadline.findMany({ where: { kind: 'respond', status: 'pending' }, select: { id: true } });
    expect(respond).toHaveLength(MESSAGES);
    const ids = new Set(respond.map((d) => d.id));
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('deadlines', { connection, prefix: state.prefix });
    try {
      // A worker queues a case's timers after its commit, and after its acknowledgement's job: the last case's
      // timer can still be on its way when the acknowledgement has reached the sink.
      const due = await waitFor(async () => {
        const found = (await queue.getDelayed(0, -1)).filter((job) => job.name === 'due' && ids.has(job.data.deadlineId as string));
        return found.length >= MESSAGES ? found : undefined;
      }, 30_000, 'the respond deadlines\' timers');
      expect(due).toHaveLength(MESSAGES);
      // Fired now (as ops would from the dashboard) and fired again under new ids: both workers get copies.
      await Promise.all(due.map((job) => job.promote()));
      await queue.addBulk(due.map((job) => ({ name: 'due', data: job.data, opts: { jobId: `${job.id}-again` } })));
      await waitFor(async () => (await prisma.deadline.count({ where: { kind: 'respond', status: 'breached' } })) === MESSAGES, 60_000, 'breaches');
      await waitFor(async () => {
        const counts = await queue.getJobCounts('waiting', 'active');
        return (counts.waiting ?? 0) + (counts.active ?? 0) === 0;
      }, 30_000, 'queue drained');
    } finally {
      await queue.close();
      connection.disconnect();
    }
    const breaches = await prisma.caseEvent.groupBy({ by: ['caseId'], where: { type: 'deadline_breached' }, _count: true });
    expect(breaches).toHaveLength(MESSAGES);
    expect(breaches.every((row) => row._count === 1)).toBe(true);
    expect(await prisma.caseMessage.count({ where: { kind: 'breach_alert' } })).toBe(MESSAGES);
  }, 120_000);
});
