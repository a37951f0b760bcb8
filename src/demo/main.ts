import { join } from 'node:path';
import { startApp, type RunningApp } from '../app.js';
import type { CaseView } from '../cases/view.js';
import { brandDomain } from '../config/brands.js';
import { ConfigError, loadConfig, ROLES, type AppConfig } from '../config/index.js';
import { DatabaseLockedError } from '../db/embedded.js';
import { startDnsServer } from '../dns/zone-server.js';
import { createLogger } from '../lib/logger.js';
import { ReplyTokens } from '../outbound/reply-address.js';
import { RedisUnavailableError } from '../queue/redis-server.js';
import { DeskApi, type DeskEndpoints } from './desk-client.js';
import { claimDataDir, demoEnvironment } from './environment.js';
import { runScenario } from './scenario.js';
import { demoWorld } from './world.js';

/**
 * `npm run demo`: the whole desk on this machine, with a DNS server on
 * loopback for a demo sender and a demo staff domain, a handful of reports
 * in four languages, a specialist's answer by email and an escalation. Then
 * it prints the tickets, the outbox and the dashboard, and keeps running
 * until Ctrl-C so you can look around (and send mail of your own from
 * anyone@demo-sender.test: its SPF allows this machine).
 */

const say = (line: string) => process.stdout.write(`[demo] ${line}\n`);

async function main(): Promise<number> {
  const world = demoWorld();
  const dns = await startDnsServer({ zone: world.zone });
  let app: RunningApp | undefined;
  try {
    const { env, ignored } = demoEnvironment(process.env, dns.address);
    if (ignored.length > 0) say(`left aside for the demo: ${ignored.join(', ')} (a real site's; the demo keeps to its own)`);
    claimDataDir(env.DATA_DIR as string);
    const config = loadConfig(env);
    say(`starting the desk: data in ${config.dataDir}, queues under ${config.env.QUEUE_PREFIX}, DNS from ${dns.address}`);
    app = await startApp({ config, roles: [...ROLES], logger: createLogger(config.env.LOG_LEVEL, { demo: true }) });
    const desk: DeskEndpoints = {
      smtpPort: app.smtpPort as number,
      httpBase: `http://127.0.0.1:${app.httpPort as number}`,
      apiToken: config.secrets.API_TOKEN as string,
    };
    const tokens = new ReplyTokens(config.secrets.REPLY_TOKEN_SECRET);
    const domain = brandDomain(config.brands[0] as AppConfig['brands'][number]);
    const tickets = await runScenario({ desk, world, caseAddress: (ticket) => tokens.address(ticket, domain), say });
    await printSummary(config, desk, tickets);
  } catch (error) {
    await app?.stop(10_000);
    await dns.stop();
    throw error;
  }
  await untilSignal();
  say('stopping');
  await app.stop();
  await dns.stop();
  return 0;
}

async function printSummary(config: AppConfig, desk: DeskEndpoints, tickets: string[]): Promise<void> {
  const api = new DeskApi(desk);
  const views: CaseView[] = [];
  for (const ticket of tickets) views.push(await api.view(ticket));
  const lines = [
    '',
    'Tickets:',
    ...views.map((view) => `  ${view.ticket.padEnd(16)} ${view.language}  ${view.kind.padEnd(10)} ${view.state.padEnd(21)} ${view.subject}`),
    '',
    `Outbox:     ${join(config.dataDir, 'outbox')} (every message the desk sent, as .eml files)`,
    `Dashboard:  ${desk.httpBase}/admin  (user admin, password ${config.secrets.ADMIN_PASSWORD})`,
    `API:        curl -H "Authorization: Bearer ${desk.apiToken}" ${desk.httpBase}/api/cases`,
    `SMTP:       127.0.0.1:${desk.smtpPort}; mail from anyone@demo-sender.test is verified while the demo runs (its SPF allows this machine)`,
    '',
    'The desk keeps running; Ctrl-C stops it.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof RedisUnavailableError || error instanceof DatabaseLockedError) {
      console.error(`abuse-desk demo: ${error.message}`);
    } else {
      console.error('abuse-desk demo: failed:', error);
    }
    process.exit(1);
  },
);
