import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/**
 * Passwords are hashed with argon2id (@node-rs/argon2: prebuilt binaries from
 * the npm registry, no compiler at install; its defaults, 19 MiB and two
 * passes, are OWASP's minimum for argon2id). The hashing runs off the event
 * loop, in libuv's thread pool.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

/** Whether `password` matches `stored`; a malformed hash is no match. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time of a verification for a name with no password, so the
 * answer's timing does not tell which names exist.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummy, password);
  return false;
}

/** A password handed out once (first start, a new account, a reset): 120 random bits. */
export function oneTimePassword(): string {
  return randomBytes(15).toString('base64url');
}

export const MIN_PASSWORD_LENGTH = 12;

/** Why a chosen password will not do, or null. */
export function passwordProblem(password: string, name: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 1024) return 'a password may have at most 1024 characters';
  if (password.toLowerCase().includes(name.toLowerCase())) return 'a password must not contain the account name';
  return null;
}
