import type { Db } from '../db/index.js';
import { Prisma } from '../generated/prisma/client.js';
import type { StaffUser } from '../generated/prisma/client.js';
import { newId } from '../lib/ids.js';
import { isEmailAddress } from '../lib/text.js';
import { hashPassword, oneTimePassword, passwordProblem } from './passwords.js';
import { isStaffRole, type StaffIdentity, type StaffRole } from './roles.js';

/**
 * Staff accounts: created, listed, disabled, given a role or a new password.
 * The name is the login and the actor on events; it is kept lower case, so
 * `Admin` and `admin` are one account.
 */

/** A request about accounts that cannot be met; its message says why. */
export class AccountError extends Error {
  override readonly name = 'AccountError';
}

const NAME = /^[a-z0-9][a-z0-9._@+-]{0,99}$/;

export function normalName(name: string): string {
  return name.trim().toLowerCase();
}

export function checkName(name: string): string {
  const normal = normalName(name);
  if (!NAME.test(normal)) throw new AccountError(`"${name.slice(0, 100)}" is not an account name: up to 100 letters, digits and . _ @ + -, starting with a letter or digit`);
  return normal;
}

function checkEmail(email: string | null | undefined): string | null {
  if (email === null || email === undefined || email.trim() === '') return null;
  const normal = email.trim().toLowerCase();
  if (!isEmailAddress(normal)) throw new AccountError(`"${email.slice(0, 320)}" is not an e-mail address`);
  return normal;
}

function checkRole(role: string): StaffRole {
  if (!isStaffRole(role)) throw new AccountError(`"${role}" is not a role: admin, specialist or viewer`);
  return role;
}

export function identityOf(user: Pick<StaffUser, 'id' | 'name' | 'role' | 'mustChangePassword'>): StaffIdentity {
  return { id: user.id, name: user.name, role: checkRole(user.role), mustChangePassword: user.mustChangePassword };
}

export interface NewAccount {
  name: string;
  role: string;
  email?: string | null;
  /**
   * A password of the person's choosing; null for none of its own (it signs
   * in another way); left out, a one-time password is made, to be changed.
   */
  password?: string | null;
  /** An account of the identity provider, which signs in only through it. */
  oidc?: { issuer: string; subject: string };
}

/** Creates an account; returns it with its one-time password when one was made. */
export async function createAccount(db: Db, spec: NewAccount, now: Date): Promise<{ user: StaffUser; oneTimePassword: string | null }> {
  const name = checkName(spec.name);
  const role = checkRole(spec.role);
  const email = checkEmail(spec.email);
  let password: string | null = null;
  let mustChangePassword = false;
  if (typeof spec.password === 'string') {
    const problem = passwordProblem(spec.password, name);
    if (problem) throw new AccountError(problem);
    password = spec.password;
  } else if (spec.password === undefined && !spec.oidc) {
    password = oneTimePassword();
    mustChangePassword = true;
  }
  try {
    const user = await db.staffUser.create({
      data: {
        id: newId(),
        name,
        email,
        role,
        passwordHash: password === null ? null : await hashPassword(password),
        mustChangePassword,
        oidcIssuer: spec.oidc?.issuer ?? null,
        oidcSubject: spec.oidc?.subject ?? null,
        createdAt: now,
      },
    });
    return { user, oneTimePassword: mustChangePassword ? password : null };
  } catch (error) {
    if (isUniqueViolation(error)) throw new AccountError(email ? `an account named ${name} or with the address ${email} exists already` : `an account named ${name} exists already`);
    throw error;
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

export async function findAccount(db: Db, name: string): Promise<StaffUser | null> {
  return db.staffUser.findUnique({ where: { name: normalName(name) } });
}

async function existing(db: Db, name: string): Promise<StaffUser> {
  const user = await findAccount(db, name);
  if (!user) throw new AccountError(`no account named ${normalName(name)}`);
  return user;
}

export interface AccountSummary {
  name: string;
  email: string | null;
  role: string;
  signIn: 'password' | 'identity provider' | 'password or identity provider';
  createdAt: Date;
  lastLoginAt: Date | null;
  disabledAt: Date | null;
  mustChangePassword: boolean;
  tokens: number;
}

export async function listAccounts(db: Db): Promise<AccountSummary[]> {
  const users = await db.staffUser.findMany({
    orderBy: { name: 'asc' },
    include: { _count: { select: { tokens: { where: { revokedAt: null } } } } },
  });
  return users.map((user) => ({
    name: user.name,
    email: user.email,
    role: user.role,
    signIn: user.oidcSubject ? (user.passwordHash ? 'password or identity provider' : 'identity provider') : 'password',
    createdAt: user.createdAt,
    lastLoginAt: user.lastLoginAt,
    disabledAt: user.disabledAt,
    mustChangePassword: user.mustChangePassword,
    tokens: user._count.tokens,
  }));
}

/**
 * Disables or enables an account. A disabled account's sessions end at once
 * and its tokens stop working (each request checks the account).
 */
export async function setDisabled(db: Db, name: string, disabled: boolean, now: Date): Promise<StaffUser> {
  const user = await existing(db, name);
  return db.$transaction(async (tx) => {
    if (disabled) await tx.staffSession.deleteMany({ where: { userId: user.id } });
    return tx.staffUser.update({ where: { id: user.id }, data: { disabledAt: disabled ? (user.disabledAt ?? now) : null } });
  });
}

export async function setRole(db: Db, name: string, role: string): Promise<StaffUser> {
  const user = await existing(db, name);
  return db.staffUser.update({ where: { id: user.id }, data: { role: checkRole(role) } });
}

/** A new one-time password for an account (it must be changed at the next sign-in); its sessions end. */
export async function resetPassword(db: Db, name: string): Promise<string> {
  const user = await existing(db, name);
  const password = oneTimePassword();
  const passwordHash = await hashPassword(password);
  await db.$transaction([
    db.staffSession.deleteMany({ where: { userId: user.id } }),
    db.staffUser.update({ where: { id: user.id }, data: { passwordHash, mustChangePassword: true } }),
  ]);
  return password;
}

/** The person's own new password; their other sessions end. */
export async function changePassword(db: Db, user: Pick<StaffUser, 'id' | 'name'>, password: string, keepSession: string | null): Promise<void> {
  const problem = passwordProblem(password, user.name);
  if (problem) throw new AccountError(problem);
  const passwordHash = await hashPassword(password);
  await db.$transaction([
    db.staffSession.deleteMany({ where: { userId: user.id, ...(keepSession ? { id: { not: keepSession } } : {}) } }),
    db.staffUser.update({ where: { id: user.id }, data: { passwordHash, mustChangePassword: false } }),
  ]);
}
