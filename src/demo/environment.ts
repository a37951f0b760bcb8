import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/index.js';
import { PROJECT_ROOT } from '../lib/project-root.js';

export const DEMO_BRANDS_FILE = join(PROJECT_ROOT, 'config/demo-brands.yaml');
const MARKER = '.abuse-desk-demo';

/**
 * Variables of a real site the demo must not follow: its database, brands,
 * resolvers, relay and platform. The demo keeps to its own data folder, its
 * own queues, its demo brand and its own DNS, and writes mail to its outbox.
 */
const SITE_ONLY = ['DATABASE_URL', 'BRANDS_FILE', 'DNS_SERVERS', 'OUTBOUND_SMTP_URL', 'MEASURES_WEBHOOK_URL'] as const;

export interface DemoEnvironment {
  env: Record<string, string | undefined>;
  /** Variables that were set and that the demo leaves aside, to say so. */
  ignored: string[];
}

/**
 * The environment the product runs with in the demo: the usual variables
 * (ports, DATA_DIR, REDIS_URL, secrets, LOG_LEVEL) are honoured, with demo
 * defaults — data in ./data-demo, queues under QUEUE_PREFIX + "-demo", both
 * listeners on loopback, warnings only in the log.
 */
export function demoEnvironment(source: Record<string, string | undefined>, dnsServer: string): DemoEnvironment {
  const env = { ...source };
  const ignored = SITE_ONLY.filter((name) => source[name] !== undefined);
  for (const name of SITE_ONLY) delete env[name];
  return {
    env: {
      ...env,
      NODE_ENV: 'development',
      DATA_DIR: source.DATA_DIR ?? './data-demo',
      QUEUE_PREFIX: `${source.QUEUE_PREFIX ?? 'abuse-desk'}-demo`,
      SMTP_HOST: source.SMTP_HOST ?? '127.0.0.1',
      HTTP_HOST: source.HTTP_HOST ?? '127.0.0.1',
      LOG_LEVEL: source.LOG_LEVEL ?? 'warn',
      BRANDS_FILE: DEMO_BRANDS_FILE,
      DNS_SERVERS: dnsServer,
      // The demo signs in and calls the API with the bootstrap admin's credentials, its own unless given.
      API_TOKEN: source.API_TOKEN ?? randomBytes(18).toString('base64url'),
      ADMIN_PASSWORD: source.ADMIN_PASSWORD ?? randomBytes(12).toString('base64url'),
    },
    ignored,
  };
}

/**
 * The demo's data folder: new, empty, or one an earlier demo made. A folder
 * with anything else in it may be a real site's, and the demo will not write
 * its cases there.
 */
export function claimDataDir(dataDir: string): void {
  const dir = resolve(dataDir);
  if (existsSync(dir) && !existsSync(join(dir, MARKER)) && readdirSync(dir).length > 0) {
    throw new ConfigError(`DATA_DIR ${dir} holds data that is not the demo's; unset DATA_DIR (the demo uses ./data-demo) or name an empty folder`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MARKER), 'made by npm run demo\n');
}
