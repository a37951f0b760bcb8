// Writes fixtures/auth/*.eml: messages signed once with the test keys in
// fixtures/dkim, at a fixed time, for the authentication unit tests (which fix
// the clock and answer DNS from test zone data). Run: npx tsx scripts/make-auth-fixtures.ts
import { writeFileSync } from 'node:fs';
import { buildMessage, FORGER_KEY, SENDER_DOMAIN, SENDER_KEY, signMessage } from '../test/support/mail.js';

const at = new Date('2026-11-16T09:30:00Z');
const base = { to: 'complaints@example.net', date: at };

const fixtures: Array<[string, Promise<Buffer>]> = [
  [
    'verified-dkim.eml',
    signMessage(buildMessage({ ...base, from: `Erika <erika@${SENDER_DOMAIN}>`, subject: 'Complaint about support', text: 'Signed by the From domain.\n', messageId: 'verified-dkim@sender.test' }), { ...SENDER_KEY, signTime: at }),
  ],
  [
    'forged-from.eml',
    signMessage(buildMessage({ ...base, from: `ceo@${SENDER_DOMAIN}`, subject: 'Urgent', text: 'Signed by another domain than the From domain.\n', messageId: 'forged@forger.test' }), { ...FORGER_KEY, signTime: at }),
  ],
  [
    'expiring-dkim.eml',
    signMessage(buildMessage({ ...base, from: `Erika <erika@${SENDER_DOMAIN}>`, subject: 'Signed for one day', text: 'This signature expires a day after signing.\n', messageId: 'expiring@sender.test' }), {
      ...SENDER_KEY,
      signTime: at,
      expires: new Date(at.getTime() + 86_400_000),
    }),
  ],
  ['unsigned.eml', Promise.resolve(buildMessage({ ...base, from: 'someone@plain.test', subject: 'Hello', text: 'Nobody vouches for this.\n', messageId: 'unsigned@plain.test' }))],
];

for (const [name, message] of fixtures) writeFileSync(new URL(`../fixtures/auth/${name}`, import.meta.url), await message);
console.log(`wrote ${fixtures.length} fixtures`);
