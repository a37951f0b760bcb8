import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/index.js';
import { identityOf, normalName } from './accounts.js';
import type { LoginLimits } from './login-limits.js';
import { verifyNothing, verifyPassword } from './passwords.js';
import type { StaffIdentity } from './roles.js';
import type { SignIn } from './sessions.js';
import { identityOfToken } from './tokens.js';

/** The account that ADMIN_PASSWORD and API_TOKEN from the environment act as. */
export const BOOTSTRAP_ADMIN = 'admin';

export interface LegacyCredentials {
  /** ADMIN_PASSWORD: the bootstrap admin's password, while the environment sets it. */
  adminPassword?: string;
  /** API_TOKEN: a Bearer token acting as the bootstrap admin. */
  apiToken?: string;
}

export type SignInResult =
  | { kind: 'ok'; staff: StaffIdentity; via: Extract<SignIn, 'password' | 'environment'> }
  | { kind: 'refused' }
  | { kind: 'limited'; retryAfterSeconds: number };

/** Constant-time comparison of a secret, whatever the lengths. */
export function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Checks credentials: a name and password (the login form, HTTP basic auth),
 * and Bearer tokens. Every failed password counts against the name and the
 * client IP; past the limit the answer is "wait", before any check.
 */
export class StaffAuthenticator {
  constructor(
    private readonly db: Db,
    private readonly limits: LoginLimits,
    private readonly legacy: LegacyCredentials,
    private readonly now: () => Date,
  ) {}

  async signIn(givenName: string, password: string, ip: string): Promise<SignInResult> {
    const name = normalName(givenName).slice(0, 100);
    const retryAfterSeconds = await this.limits.retryAfter(ip, name);
    if (retryAfterSeconds > 0) return { kind: 'limited', retryAfterSeconds };
    const user = name ? await this.db.staffUser.findUnique({ where: { name } }) : null;
    let via: 'password' | 'environment' | null = null;
    if (user && !user.disabledAt) {
      if (user.name === BOOTSTRAP_ADMIN && this.legacy.adminPassword !== undefined && same(password, this.legacy.adminPassword)) via = 'environment';
      else if (user.passwordHash && (await verifyPassword(user.passwordHash, password))) via = 'password';
    } else {
      await verifyNothing(password);
    }
    if (!user || !via) {
      await this.limits.failed(ip, name);
      return { kind: 'refused' };
    }
    await this.limits.succeeded(ip, name);
    await this.db.staffUser.update({ where: { id: user.id }, data: { lastLoginAt: this.now() } });
    const staff = identityOf(user);
    return { kind: 'ok', via, staff: via === 'environment' ? { ...staff, mustChangePassword: false } : staff };
  }

  /** The account a Bearer token acts for: a personal token, or API_TOKEN for the bootstrap admin. */
  async bearer(token: string): Promise<StaffIdentity | null> {
    if (this.legacy.apiToken !== undefined && same(token, this.legacy.apiToken)) {
      const admin = await this.db.staffUser.findUnique({ where: { name: BOOTSTRAP_ADMIN } });
      return admin && !admin.disabledAt ? { ...identityOf(admin), mustChangePassword: false } : null;
    }
    return identityOfToken(this.db, token, this.now());
  }
}
