import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';
import { intakeSettled, outgoingTo, startTestApp, waitFor, type TestApp } from '../support/harness.js';

/** The same intake on the embedded database (PGlite) that `npm start` uses without DATABASE_URL. */
describe('intake on the embedded database', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: 'embedded' });
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  it('opens one case per message and acknowledges it once, also when redelivered', async () => {
    expect(t.app.database.kind).toBe('embedded');
    const raw = await signMessage(
      buildMessage({ from: `Sanne <sanne@${SENDER_DOMAIN}>`, to: 'feedback@example.net', subject: 'Suggestie voor uw website', text: 'Het zou fijn zijn als de zoekfunctie op uw website ook op domeinextensie kan filteren.\n' }),
      SENDER_KEY,
    );
    for (let i = 0; i < 2; i++) {
      expect((await sendMail({ port: t.smtpPort, from: `sanne@${SENDER_DOMAIN}`, to: ['feedback@example.net'], raw })).final.code).toBe(250);
    }
    const thanks = await waitFor(() => t.transport.to(`sanne@${SENDER_DOMAIN}`)[0], 20_000, 'feedback thanks');
    expect(thanks.text).toMatch(/X-Ticket-ID: FBK-\d{4}-\d{6}/);
    await intakeSettled(t);
    expect(await outgoingTo(t, `sanne@${SENDER_DOMAIN}`)).toBe(1);
    expect(t.transport.to(`sanne@${SENDER_DOMAIN}`)).toHaveLength(1);
    expect(await t.app.database.prisma.case.count()).toBe(1);
    const view = (await (await fetch(`http://127.0.0.1:${t.httpPort}/api/cases?kind=feedback`, { headers: { Authorization: 'Bearer test-api-token' } })).json()) as { items: unknown[] };
    expect(view.items[0]).toMatchObject({ kind: 'feedback', language: 'nl' });
  });
});
