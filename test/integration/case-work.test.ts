import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseDeps } from '../../src/cases/context.js';
import { inTransaction } from '../../src/cases/work.js';
import { loadConfig } from '../../src/config/index.js';
import { sqlChunkStore } from '../../src/intake/spool.js';
import { newId } from '../../src/lib/ids.js';
import { silentLogger } from '../../src/lib/logger.js';
import { LoopMarker } from '../../src/outbound/loop-marker.js';
import { ReplyTokens } from '../../src/outbound/reply-address.js';
import { outboundJobId } from '../../src/queue/jobs.js';
import { testNow } from '../support/clock.js';
import { startTestApp, type TestApp } from '../support/harness.js';

/**
 * A unit of work's savepoint undoes together what the work inside it did: the
 * rows it wrote, the jobs it left for after the commit, the events it appended
 * and the case as the unit holds it in memory. Work before and after it stays.
 */
describe('a unit of work (PostgreSQL)', () => {
  let t: TestApp;
  let deps: CaseDeps;

  beforeAll(async () => {
    t = await startTestApp({ roles: ['web'] });
    const config = loadConfig(t.env);
    const database = t.app.database;
    deps = {
      db: database.prisma,
      sql: database.runner,
      chunks: sqlChunkStore(database.runner),
      queues: t.app.queues,
      brands: new Map(config.brands.map((brand) => [brand.id, brand])),
      tokens: new ReplyTokens(config.secrets.REPLY_TOKEN_SECRET),
      loopMarker: new LoopMarker(config.secrets.REPLY_TOKEN_SECRET),
      hostname: config.hostname,
      blocklists: [],
      dailyCap: 10,
      resolver: t.resolver,
      now: testNow,
      logger: silentLogger,
    };
  }, 60_000);

  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  it('rolls back rows, effects, events and the case together at a savepoint, and keeps what came before and after', async () => {
    const db = t.app.database.prisma;
    const caseId = newId();
    const ticket = `CMP-2026-${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
    await db.case.create({
      data: { id: caseId, ticket, brand: 'example-net', kind: 'complaint', state: 'received', language: 'de', subject: 'Beschwerde', complainantAddress: 'writer@sender.test', receivedAt: testNow() },
    });
    const theCase = await db.case.findUniqueOrThrow({ where: { id: caseId } });

    const seen = await inTransaction(deps, async (unit) => {
      const work = unit.forCase(theCase);
      await work.event('note_added', { actor: 'staff@example.net', data: { text: 'before' } });
      const undone = work.savepoint(async () => {
        await work.changeState('in_progress', 'staff@example.net', 'looking into it');
        await work.openDeadline('respond', testNow());
        await work.send(work.complainant, 'need_info', { ticket, brandName: 'Example', text: 'Welche Domain?' }, { kind: 'need_info', autoSubmitted: null });
        throw new Error('this command does not fit');
      });
      await expect(undone).rejects.toThrow('this command does not fit');
      const afterRollback = { state: work.theCase.state, outbound: work.effects.outbound.length, deadlines: work.effects.deadlines.length };
      const kept = await work.savepoint(() =>
        work.send(work.desk, 'command_error', { ticket, line: '#frobnicate', reason: 'unknown command' }, { kind: 'command_error', autoSubmitted: 'auto-replied' }),
      );
      return { afterRollback, kept, outbound: [...work.effects.outbound] };
    });

    expect(seen.afterRollback).toEqual({ state: 'received', outbound: 0, deadlines: 0 });
    expect(seen.kept.kind).toBe('queued');
    expect(seen.outbound).toHaveLength(1);

    const events = await db.caseEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } });
    expect(events.map((event) => event.type)).toEqual(['note_added']);
    const messages = await db.caseMessage.findMany({ where: { caseId } });
    expect(messages.map((message) => [message.kind, message.to[0]])).toEqual([['command_error', 'abuse-team@example.com']]);
    expect(await db.deadline.count({ where: { caseId } })).toBe(0);
    expect((await db.case.findUniqueOrThrow({ where: { id: caseId } })).state).toBe('received');
    // The kept message's send job was queued after the commit; the undone one's never was.
    expect(await t.app.queues.outbound.getJob(outboundJobId(messages[0]?.id ?? ''))).toBeTruthy();
  });
});
