import type { Db } from '../db/index.js';
import type { Logger } from '../lib/logger.js';
import { AccountError, createAccount } from './accounts.js';
import { BOOTSTRAP_ADMIN, type LegacyCredentials } from './authenticate.js';

/**
 * The first admin. With no account at all (a new site), or where the
 * environment still sets ADMIN_PASSWORD or API_TOKEN and nobody is named
 * `admin` (they act as that account), the account `admin` is created. Its
 * password is ADMIN_PASSWORD while the environment sets one; otherwise a
 * one-time password, written to the log this once, which must be changed at
 * the first sign-in. Several processes may start together: one of them
 * creates it, the others find it there.
 */
export async function ensureBootstrapAdmin(db: Db, legacy: LegacyCredentials, now: Date, logger: Logger): Promise<void> {
  const configured = legacy.adminPassword !== undefined || legacy.apiToken !== undefined;
  const needed = configured ? !(await db.staffUser.findUnique({ where: { name: BOOTSTRAP_ADMIN }, select: { id: true } })) : (await db.staffUser.count()) === 0;
  if (!needed) return;
  try {
    // With ADMIN_PASSWORD set the account needs no password of its own: the environment's is checked as it stands.
    const fromEnvironment = legacy.adminPassword !== undefined;
    const created = await createAccount(db, { name: BOOTSTRAP_ADMIN, role: 'admin', ...(fromEnvironment ? { password: null } : {}) }, now);
    if (fromEnvironment) {
      logger.info(`created the account "${BOOTSTRAP_ADMIN}" (role admin); its password is ADMIN_PASSWORD from the environment`);
    } else {
      logger.warn(`created the account "${BOOTSTRAP_ADMIN}" (role admin) with the one-time password ${created.oneTimePassword} — sign in at /login and choose a new one; it is not shown again`);
    }
  } catch (error) {
    if (error instanceof AccountError) return;
    throw error;
  }
}
