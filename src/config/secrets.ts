import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Env } from './env.js';

export const SECRET_NAMES = ['API_TOKEN', 'ADMIN_PASSWORD', 'REPLY_TOKEN_SECRET', 'WEBHOOK_SECRET'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];
export type Secrets = Record<SecretName, string>;

export interface SecretsResult {
  secrets: Secrets;
  /** Names that were generated or read from DATA_DIR rather than the environment. */
  generated: SecretName[];
}

/**
 * Secrets come from the environment. In development a missing one is generated
 * once and kept in DATA_DIR/secrets.json so restarts keep reply addresses valid;
 * production refuses to start without them.
 */
export function resolveSecrets(env: Env, dataDir: string): SecretsResult {
  const missing = SECRET_NAMES.filter((name) => !env[name]);
  if (missing.length > 0 && env.NODE_ENV === 'production') {
    throw new ConfigError(`NODE_ENV=production needs these secrets in the environment: ${missing.join(', ')}`);
  }
  const file = join(dataDir, 'secrets.json');
  let stored: Partial<Secrets> = {};
  if (missing.length > 0) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ConfigError(`${file}: unreadable (${(error as Error).message}); remove it to generate new secrets`);
      }
    }
  }
  let changed = false;
  const secrets = {} as Secrets;
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
  if (changed) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2) + '\n', { mode: 0o600 });
  }
  return { secrets, generated: missing };
}
