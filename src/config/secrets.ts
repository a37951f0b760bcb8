import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Env } from './env.js';

/** Keys the product cannot run without: generated in development when unset. */
export const SECRET_NAMES = ['REPLY_TOKEN_SECRET', 'WEBHOOK_SECRET'] as const;
/**
 * The shared credentials of old, now the bootstrap admin's (src/staff): used
 * when set, never generated, and not required — staff have their own accounts.
 */
export const LEGACY_CREDENTIAL_NAMES = ['API_TOKEN', 'ADMIN_PASSWORD'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
export type LegacyCredentialName = (typeof LEGACY_CREDENTIAL_NAMES)[number];
export type Secrets = Record<SecretName, string> & Partial<Record<LegacyCredentialName, string>>;

export interface SecretsResult {
  secrets: Secrets;
  /** Names that were generated or read from DATA_DIR rather than the environment. */
  generated: Array<SecretName | LegacyCredentialName>;
}

/**
 * Secrets come from the environment. In development a missing one is generated
 * once and kept in DATA_DIR/secrets.json so restarts keep reply addresses valid;
 * production refuses to start without them. API_TOKEN and ADMIN_PASSWORD that
 * an earlier version generated there are still read, so a development site
 * keeps its credentials.
 */
export function resolveSecrets(env: Env, dataDir: string): SecretsResult {
  const missing = SECRET_NAMES.filter((name) => !env[name]);
  if (missing.length > 0 && env.NODE_ENV === 'production') {
    throw new ConfigError(`NODE_ENV=production needs these secrets in the environment: ${missing.join(', ')}`);
  }
  const file = join(dataDir, 'secrets.json');
  let stored: Partial<Record<SecretName | LegacyCredentialName, string>> = {};
  const legacyMissing = env.NODE_ENV !== 'production' && LEGACY_CREDENTIAL_NAMES.some((name) => !env[name]);
  if (missing.length > 0 || legacyMissing) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ConfigError(`${file}: unreadable (${(error as Error).message}); remove it to generate new secrets`);
      }
    }
  }
  let changed = false;
  const secrets = {} as Secrets;
  const generated: SecretsResult['generated'] = [...missing];
  for (const name of SECRET_NAMES) {
    const value = env[name] ?? stored[name];
    if (value) {
      secrets[name] = value;
    } else {
      secrets[name] = randomBytes(24).toString('base64url');
      stored[name] = secrets[name];
      changed = true;
    }
  }
  for (const name of LEGACY_CREDENTIAL_NAMES) {
    const value = env[name] ?? (env.NODE_ENV === 'production' ? undefined : stored[name]);
    if (value) secrets[name] = value;
    if (value && !env[name]) generated.push(name);
  }
  if (changed) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
  }
  return { secrets, generated };
}
