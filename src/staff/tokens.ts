import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';
import { newId } from '../lib/ids.js';
import { identityOf } from './accounts.js';
import type { StaffIdentity } from './roles.js';

/**
 * Personal API tokens: 32 random bytes, shown once when issued. Only their
 * SHA-256 is kept: a token has the entropy a password lacks, so a fast hash
 * is enough, and a lookup is one indexed read.
 */

const PREFIX = 'adk_';
/** lastUsedAt is written at most this often per token, not on every request. */
const TOUCH_MS = 60_000;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface IssuedToken {
  id: string;
  label: string;
  /** The token itself: shown once, never stored. */
  token: string;
}

export async function issueToken(db: Db, userId: string, label: string, now: Date): Promise<IssuedToken> {
  const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
  const id = newId();
  const clean = label.trim().slice(0, 100) || 'API token';
  await db.staffToken.create({ data: { id, userId, label: clean, hash: tokenHash(token), createdAt: now } });
  return { id, label: clean, token };
}

/** The account a token acts for, if the token is live and its account enabled. */
export async function identityOfToken(db: Db, token: string, now: Date): Promise<StaffIdentity | null> {
  if (!token.startsWith(PREFIX)) return null;
  const row = await db.staffToken.findUnique({ where: { hash: tokenHash(token) }, include: { user: true } });
  if (!row || row.revokedAt || row.user.disabledAt) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > TOUCH_MS) {
    await db.staffToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  // A token is no password sign-in: a pending password change does not hold it up.
  return { ...identityOf(row.user), mustChangePassword: false };
}

export async function listTokens(db: Db, userId: string) {
  return db.staffToken.findMany({
    where: { userId, revokedAt: null },
    orderBy: { createdAt: 'desc' },
    select: { id: true, label: true, createdAt: true, lastUsedAt: true },
  });
}

/** Revokes one of the account's tokens; returns whether there was such a live token. */
export async function revokeToken(db: Db, userId: string, id: string, now: Date): Promise<boolean> {
  const { count } = await db.staffToken.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: now } });
  return count > 0;
}
