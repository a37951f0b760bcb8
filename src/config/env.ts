import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

/** The environment variables the product reads, validated once at the entry point. */

const port = z.coerce.number().int().min(0).max(65535);

const dnsServer = z.string().refine((entry) => {
  const match = /^\[?([^\]]+?)\]?(?::(\d{1,5}))?$/.exec(entry);
  if (!match) return false;
  const host = match[1] ?? '';
  // a bare IPv6 address has colons of its own; accept it without a port
  return isIP(host) !== 0 || isIP(entry) === 6;
}, 'expected ip or ip:port');

function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

const url = (protocols: string[]) =>
  optionalString.refine((value) => {
    if (value === undefined) return true;
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `expected a URL (${protocols.join(' or ')})`);

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DATA_DIR: z.string().min(1).default('./data'),
  REDIS_URL: url(['redis:', 'rediss:']),
  SMTP_HOST: z.string().min(1).default('0.0.0.0'),
  SMTP_PORT: port.default(2525),
  SMTP_HOSTNAME: optionalString,
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_PORT: port.default(3000),
  DNS_SERVERS: optionalString.transform((value, ctx) => {
    if (value === undefined) return [];
    const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
    for (const entry of entries) {
      if (!dnsServer.safeParse(entry).success) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not ip or ip:port` });
        return z.NEVER;
      }
    }
    return entries;
  }),
  DNS_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(2_000),
  /** DNS blocklist zones each reported domain is looked up in, e.g. dbl.spamhaus.org (codes read per list). */
  DNS_BLOCKLISTS: optionalString.transform((value, ctx) => {
    if (value === undefined) return [];
    const zones = value.split(',').map((zone) => zone.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean);
    for (const zone of zones) {
      if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(zone)) {
        ctx.addIssue({ code: 'custom', message: `"${zone}" is not a DNS zone name` });
        return z.NEVER;
      }
    }
    return [...new Set(zones)];
  }),
  OUTBOUND_SMTP_URL: url(['smtp:', 'smtps:']),
  /** Shared credentials of old: while set, they act as the bootstrap account `admin` (src/staff). */
  API_TOKEN: optionalString,
  ADMIN_PASSWORD: optionalString,
  /** Where people reach the web role (behind a proxy, its https URL): Origin checks, Secure cookies, the OIDC redirect. */
  PUBLIC_URL: url(['http:', 'https:']),
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
  SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  /** Failed sign-ins per 15 minutes for one account name, and from one client IP (RATE_LIMIT_EXEMPT not counted per IP). */
  LOGIN_MAX_FAILURES_PER_USER: z.coerce.number().int().min(1).default(10),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(30),
  OIDC_ISSUER: url(['http:', 'https:']),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_REDIRECT_URL: url(['http:', 'https:']),
  OIDC_SCOPES: z.string().min(1).default('openid email profile'),
  OIDC_USERNAME_CLAIM: z.string().min(1).default('email'),
  OIDC_ROLE_CLAIM: optionalString,
  /** `claim value=role` pairs, comma separated, e.g. `abuse-admins=admin,abuse-desk=specialist`. */
  OIDC_ROLES: optionalString.transform((value, ctx) => {
    const roles = new Map<string, 'admin' | 'specialist' | 'viewer'>();
    for (const pair of (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean)) {
      const at = pair.lastIndexOf('=');
      const role = pair.slice(at + 1).trim();
      if (at <= 0 || !['admin', 'specialist', 'viewer'].includes(role)) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not value=admin|specialist|viewer` });
        return z.NEVER;
      }
      roles.set(pair.slice(0, at).trim(), role as 'admin' | 'specialist' | 'viewer');
    }
    return roles;
  }),
  OIDC_DEFAULT_ROLE: z.enum(['none', 'viewer', 'specialist', 'admin']).default('none'),
  REPLY_TOKEN_SECRET: optionalString,
  WEBHOOK_SECRET: optionalString,
  MEASURES_WEBHOOK_URL: url(['http:', 'https:']),
  /** First retry of a failed measures webhook call; each further one waits twice as long (tests shorten it). */
  MEASURES_RETRY_DELAY_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
  BRANDS_FILE: optionalString,
  TLS_CERT_FILE: optionalString,
  TLS_KEY_FILE: optionalString,
  SMTP_MAX_CLIENTS: z.coerce.number().int().min(1).default(500),
  SMTP_MAX_RECIPIENTS: z.coerce.number().int().min(1).max(1000).default(50),
  SMTP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  /** A command line must be complete this long after its first byte, however many bytes trickle in. */
  SMTP_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(500).default(30_000),
  /** DATA must end this long after it began; and it must keep SMTP_DATA_MIN_RATE (bytes a second) after its first SMTP_COMMAND_TIMEOUT_MS. */
  SMTP_DATA_TIMEOUT_MS: z.coerce.number().int().min(1000).default(600_000),
  SMTP_DATA_MIN_RATE: z.coerce.number().int().min(1).default(1024),
  /** Sessions one client IP may hold open at once on one listener (RATE_LIMIT_EXEMPT ranges are not counted). */
  SMTP_MAX_CLIENTS_PER_IP: z.coerce.number().int().min(1).default(20),
  RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  RATE_LIMIT_SENDER_PER_HOUR: z.coerce.number().int().min(1).default(300),
  RATE_LIMIT_EXEMPT: z
    .string()
    .default('127.0.0.0/8,::1/128')
    .transform((value, ctx) => {
      const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
      for (const entry of entries) {
        if (!isCidr(entry)) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not a CIDR range` });
          return z.NEVER;
        }
      }
      return entries;
    }),
  /** Largest HTTP request body (JSON to the API); larger ones get 413 before they are read. */
  HTTP_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(25 * 1024 * 1024),
  /** Messages above this are written to the database in pieces of this size while they arrive. */
  SMTP_SPOOL_BYTES: z.coerce.number().int().min(4096).default(1024 * 1024),
  AUTO_REPLY_DAILY_CAP: z.coerce.number().int().min(1).default(10),
  RETENTION_DAYS: z.coerce.number().int().min(1).default(3650),
  /** SMTP refusals are written in batches this often; while the database is away at most REJECTION_BUFFER_ROWS wait (more are counted and dropped). */
  REJECTION_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  REJECTION_BUFFER_ROWS: z.coerce.number().int().min(1).default(10_000),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only').default('abuse-desk'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  /** A worker-only process's CPU class: idle (SCHED_IDLE), low (nice 10) or normal. */
  WORKER_CPU_PRIORITY: z.enum(['idle', 'low', 'normal']).default('idle'),
  /** While SMTP listeners take mail quickly, intake and outbound workers run one job at a time. */
  WORKERS_YIELD_TO_SMTP: z
    .enum(['true', 'false'], { message: 'expected true or false' })
    .default('true')
    .transform((value) => value === 'true'),
  /** Outbound mail: tries and first retry delay (doubling); their sum is how long before a message is dead-lettered. */
  OUTBOUND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  OUTBOUND_RETRY_DELAY_MS: z.coerce.number().int().min(10).default(5_000),
  MEASURES_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  /** How long a job stays locked to a worker that stops answering (a killed worker's job is retried after it). */
  WORKER_LOCK_MS: z.coerce.number().int().min(1000).default(60_000),
  /** The sweep that re-queues stored work Redis lost: how often, and how old work must be. */
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(30_000),
  SWEEP_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000).default(25_000),
});

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** What one variable cannot say alone: OpenID Connect needs its client and a redirect, over https unless on loopback. */
const checkedEnvSchema = envSchema.superRefine((env, ctx) => {
  if (!env.OIDC_ISSUER) return;
  if (!env.OIDC_CLIENT_ID) ctx.addIssue({ code: 'custom', path: ['OIDC_CLIENT_ID'], message: 'required with OIDC_ISSUER' });
  if (!env.OIDC_REDIRECT_URL && !env.PUBLIC_URL) ctx.addIssue({ code: 'custom', path: ['OIDC_REDIRECT_URL'], message: 'required with OIDC_ISSUER unless PUBLIC_URL is set' });
  const issuer = new URL(env.OIDC_ISSUER);
  if (issuer.protocol === 'http:' && !LOOPBACK_HOSTS.has(issuer.hostname)) ctx.addIssue({ code: 'custom', path: ['OIDC_ISSUER'], message: 'must be https (plain http only on loopback)' });
  if (!env.OIDC_ROLE_CLAIM && env.OIDC_DEFAULT_ROLE === 'none') ctx.addIssue({ code: 'custom', path: ['OIDC_DEFAULT_ROLE'], message: 'set OIDC_ROLE_CLAIM and OIDC_ROLES, or a default role, or nobody can sign in through OIDC_ISSUER' });
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; a bad value names the variable and what is wrong. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = checkedEnvSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    throw new ConfigError(`invalid environment:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}
