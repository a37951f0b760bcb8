import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';
import { identityOf } from './accounts.js';
import type { StaffIdentity } from './roles.js';

export interface SessionOptions {
  /** A session unused this long has ended. */
  idleMs: number;
  /** A session this old has ended, however busy. */
  maxAgeMs: number;
}

/** How the session's person signed in: their own password, ADMIN_PASSWORD from the environment, or the identity provider. */
export type SignIn = 'password' | 'environment' | 'oidc';

export interface ActiveSession {
  /** The row's key: the SHA-256 of the cookie value (the cookie itself is not kept). */
  id: string;
  csrfToken: string;
  via: SignIn;
  staff: StaffIdentity;
}

/** lastSeenAt is written at most this often: a page view costs a read, not a write. */
const TOUCH_MS = 60_000;

function sessionKey(cookie: string): string {
  return createHash('sha256').update(cookie).digest('hex');
}

/**
 * Dashboard sessions, kept in the database so every web process sees them and
 * a sign-out or a disabled account ends them everywhere at once. The clock is
 * injected: both timeouts are decided against it.
 */
export class SessionStore {
  constructor(
    private readonly db: Db,
    private readonly options: SessionOptions,
    private readonly now: () => Date,
  ) {}

  /** A new session (a new id at every sign-in: no fixation); returns the cookie value. Ended sessions are cleared out on the way. */
  async create(userId: string, via: SignIn): Promise<{ cookie: string; session: ActiveSession }> {
    const now = this.now();
    await this.db.staffSession.deleteMany({ where: this.endedBy(now) });
    const cookie = randomBytes(32).toString('base64url');
    const row = await this.db.staffSession.create({
      data: { id: sessionKey(cookie), userId, via, csrfToken: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now },
      include: { user: true },
    });
    return { cookie, session: { id: row.id, csrfToken: row.csrfToken, via, staff: identityOf(row.user) } };
  }

  /** The live session a cookie names, or null (unknown, timed out, or its account disabled). */
  async find(cookie: string): Promise<ActiveSession | null> {
    const id = sessionKey(cookie);
    const row = await this.db.staffSession.findUnique({ where: { id }, include: { user: true } });
    if (!row) return null;
    const now = this.now();
    const idle = now.getTime() - row.lastSeenAt.getTime() > this.options.idleMs;
    const old = now.getTime() - row.createdAt.getTime() > this.options.maxAgeMs;
    if (idle || old || row.user.disabledAt) {
      await this.db.staffSession.deleteMany({ where: { id } });
      return null;
    }
    if (now.getTime() - row.lastSeenAt.getTime() > TOUCH_MS) {
      await this.db.staffSession.updateMany({ where: { id }, data: { lastSeenAt: now } });
    }
    const via = row.via as SignIn;
    const staff = identityOf(row.user);
    // ADMIN_PASSWORD is the operator's to change, in the environment: it is never a one-time password.
    return { id, csrfToken: row.csrfToken, via, staff: via === 'environment' ? { ...staff, mustChangePassword: false } : staff };
  }

  async destroy(cookie: string): Promise<void> {
    await this.db.staffSession.deleteMany({ where: { id: sessionKey(cookie) } });
  }

  private endedBy(now: Date) {
    return {
      OR: [{ lastSeenAt: { lt: new Date(now.getTime() - this.options.idleMs) } }, { createdAt: { lt: new Date(now.getTime() - this.options.maxAgeMs) } }],
    };
  }
}
