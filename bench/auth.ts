import { createZoneResolver } from '../src/dns/resolver.js';
import { authenticateMessage } from '../src/intake/authenticate.js';
import { cachePublicKeys } from '../src/intake/public-keys.js';
import { SENDER_DOMAIN, testZone } from '../test/support/mail.js';
import { senderOf, signedComplaint } from './messages.js';

/**
 * The CPU one listener spends authenticating a message (SPF, DKIM, ARC and
 * DMARC through mailauth, as `authenticateMessage` runs them during DATA), on
 * the bench's own signed complaints, in this process and without sockets: a
 * steady figure for the part of `npm run bench` that depends on mailauth,
 * where the full bench moves with the machine. It first prints the cold
 * start: the CPU per message of each 500 of a fresh process's first 4,000,
 * while V8 optimises the code (a new listener's first minute under load).
 *
 *   tsx bench/auth.ts [messages]   (add --cpu-prof via `node --cpu-prof --import tsx`)
 */

const count = Number(process.argv[2] ?? 5_000);
if (!Number.isInteger(count) || count <= 0) {
  console.error('usage: tsx bench/auth.ts [messages]');
  process.exit(2);
}

cachePublicKeys();
const distinct = 200;
const raws: Buffer[] = [];
for (let i = 0; i < distinct; i++) raws.push(await signedComplaint('auth', i));
const resolver = createZoneResolver(testZone());
const facts = (i: number) => ({ ip: '127.0.0.1', helo: `mail.${SENDER_DOMAIN}`, sender: senderOf(i % distinct), mta: 'mx.example.net' });

async function run(messages: number): Promise<number> {
  let verified = 0;
  for (let i = 0; i < messages; i++) {
    if ((await authenticateMessage(raws[i % distinct] as Buffer, facts(i), { resolver })).verified) verified += 1;
  }
  return verified;
}

/** Process CPU (µs) per message while `messages` run. */
async function cpuPerMessage(messages: number): Promise<number> {
  const cpu = process.cpuUsage();
  await run(messages);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / messages;
}

// Warm up, as in a listener that has been running, and show how long that takes.
const COLD_CHUNK = 500;
const coldStart: number[] = [];
for (let chunk = 0; chunk < 8; chunk++) coldStart.push(await cpuPerMessage(COLD_CHUNK));
console.log(`cold start: ${coldStart.map((us) => us.toFixed(0)).join(', ')} µs of process CPU a message, for each ${COLD_CHUNK} of the first ${coldStart.length * COLD_CHUNK}`);
const cpu = process.cpuUsage();
const started = performance.now();
const verified = await run(count);
const used = process.cpuUsage(cpu);
const wallUs = (performance.now() - started) * 1000;
if (verified !== count) {
  console.error(`only ${verified} of ${count} messages were verified: the bench's DNS or signing is broken`);
  process.exit(1);
}
console.log(`${count} messages authenticated: ${(wallUs / count).toFixed(0)} µs each on the main thread, ${((used.user + used.system) / count).toFixed(0)} µs of process CPU (GC threads included)`);
