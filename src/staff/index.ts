import type { Redis } from 'ioredis';
import type { Env } from '../config/env.js';
import type { Secrets } from '../config/secrets.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../lib/logger.js';
import { StaffAuthenticator, type LegacyCredentials } from './authenticate.js';
import { ensureBootstrapAdmin } from './bootstrap.js';
import { LoginLimits } from './login-limits.js';
import { OidcSignIn } from './oidc.js';
import { SessionStore } from './sessions.js';

export type { StaffIdentity, StaffRole } from './roles.js';

/** Staff identities as the web role uses them: credentials, sessions, and sign-in through an identity provider when configured. */
export interface Staff {
  db: Db;
  auth: StaffAuthenticator;
  sessions: SessionStore;
  oidc: OidcSignIn | null;
  /** Where people reach the web role, when configured (PUBLIC_URL). */
  publicUrl: URL | null;
  now: () => Date;
}

const LOGIN_WINDOW_SECONDS = 15 * 60;

/** Builds the staff services from the configuration, and makes sure there is an admin to sign in as. */
export async function startStaff(deps: { db: Db; redis: Redis; env: Env; secrets: Secrets; now: () => Date; logger: Logger }): Promise<Staff> {
  const { db, env, now } = deps;
  const legacy: LegacyCredentials = { adminPassword: deps.secrets.ADMIN_PASSWORD, apiToken: deps.secrets.API_TOKEN };
  await ensureBootstrapAdmin(db, legacy, now(), deps.logger);
  const limits = new LoginLimits(deps.redis, {
    failuresPerUser: env.LOGIN_MAX_FAILURES_PER_USER,
    failuresPerIp: env.LOGIN_MAX_FAILURES_PER_IP,
    windowSeconds: LOGIN_WINDOW_SECONDS,
    exempt: env.RATE_LIMIT_EXEMPT,
    prefix: env.QUEUE_PREFIX,
  });
  const publicUrl = env.PUBLIC_URL ? new URL(env.PUBLIC_URL) : null;
  const oidc = env.OIDC_ISSUER
    ? new OidcSignIn({
        issuer: new URL(env.OIDC_ISSUER),
        clientId: env.OIDC_CLIENT_ID as string,
        clientSecret: env.OIDC_CLIENT_SECRET,
        redirectUrl: new URL(env.OIDC_REDIRECT_URL ?? new URL('/login/oidc/callback', publicUrl as URL).href),
        scopes: env.OIDC_SCOPES,
        usernameClaim: env.OIDC_USERNAME_CLAIM,
        roleClaim: env.OIDC_ROLE_CLAIM,
        roleMap: env.OIDC_ROLES,
        defaultRole: env.OIDC_DEFAULT_ROLE === 'none' ? null : env.OIDC_DEFAULT_ROLE,
      })
    : null;
  return {
    db,
    auth: new StaffAuthenticator(db, limits, legacy, now),
    sessions: new SessionStore(db, { idleMs: env.SESSION_IDLE_MINUTES * 60_000, maxAgeMs: env.SESSION_MAX_HOURS * 3_600_000 }, now),
    oidc,
    publicUrl,
    now,
  };
}
