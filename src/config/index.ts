import { join, resolve } from 'node:path';
import { brandDomain, loadBrandsFile, type Brand } from './brands.js';
import { ConfigError, parseEnv, type Env } from './env.js';
import { PROJECT_ROOT } from '../lib/project-root.js';
import { redactUrl } from '../lib/redact.js';
import { LEGACY_CREDENTIAL_NAMES, resolveSecrets, SECRET_NAMES, type SecretsResult, type Secrets } from './secrets.js';

export { ConfigError } from './env.js';
export type { Brand, Language, Mailbox, PolicyName } from './brands.js';

export const ROLES = ['smtp', 'worker', 'web'] as const;
export type Role = (typeof ROLES)[number];

/** The whole validated configuration, passed down from the entry point. */
export interface AppConfig {
  env: Env;
  dataDir: string;
  brands: Brand[];
  brandsFile: string;
  secrets: Secrets;
  generatedSecrets: SecretsResult['generated'];
  /** Host name this MTA announces (greeting, Received, Message-IDs). */
  hostname: string;
}

export const DEFAULT_BRANDS_FILE = join(PROJECT_ROOT, 'config', 'brands.yaml');

export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const env = parseEnv(source);
  const dataDir = resolve(env.DATA_DIR);
  const brandsFile = resolve(env.BRANDS_FILE ?? DEFAULT_BRANDS_FILE);
  const brands = loadBrandsFile(brandsFile);
  const { secrets, generated } = resolveSecrets(env, dataDir);
  const hostname = env.SMTP_HOSTNAME ?? `mx.${brandDomain(brands[0] as Brand)}`;
  return { env, dataDir, brands, brandsFile, secrets, generatedSecrets: generated, hostname };
}

export function parseRoles(argv: string[]): Role[] {
  const roles: Role[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = arg === '--role' ? argv[++i] : arg.startsWith('--role=') ? arg.slice('--role='.length) : undefined;
    if (arg !== '--role' && !arg.startsWith('--role=')) continue;
    for (const role of (value ?? '').split(',')) {
      if (!(ROLES as readonly string[]).includes(role)) {
        throw new ConfigError(`--role: "${role}" is not one of ${ROLES.join(', ')}`);
      }
      roles.push(role as Role);
    }
  }
  return roles.length > 0 ? [...new Set(roles)] : [...ROLES];
}

/** The effective configuration for `npm start -- --print-config`, secrets masked. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  const env: Record<string, unknown> = { ...config.env };
  for (const name of SECRET_NAMES) {
    env[name] = config.env[name] ? '***' : `(generated, kept in ${config.dataDir}/secrets.json)`;
  }
  for (const name of LEGACY_CREDENTIAL_NAMES) {
    env[name] = config.env[name] ? '***' : config.secrets[name] ? `(kept in ${config.dataDir}/secrets.json)` : '(not set)';
  }
  if (config.env.OIDC_CLIENT_SECRET) env.OIDC_CLIENT_SECRET = '***';
  env.OIDC_ROLES = Object.fromEntries(config.env.OIDC_ROLES);
  if (typeof env.DATABASE_URL === 'string') env.DATABASE_URL = redactUrl(env.DATABASE_URL);
  if (typeof env.REDIS_URL === 'string') env.REDIS_URL = redactUrl(env.REDIS_URL);
  if (typeof env.OUTBOUND_SMTP_URL === 'string') env.OUTBOUND_SMTP_URL = redactUrl(env.OUTBOUND_SMTP_URL);
  return { env, dataDir: config.dataDir, brandsFile: config.brandsFile, hostname: config.hostname, brands: config.brands };
}
