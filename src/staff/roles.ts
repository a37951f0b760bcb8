/**
 * Staff roles, each allowed what the one before it is: a viewer reads pages
 * and GET endpoints; a specialist also acts on cases; an admin also changes
 * the managed tables, customer accounts and staff accounts, and the queues.
 */
export const STAFF_ROLES = ['viewer', 'specialist', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);
}

export function hasRole(role: StaffRole, needed: StaffRole): boolean {
  return STAFF_ROLES.indexOf(role) >= STAFF_ROLES.indexOf(needed);
}

/** Who is making a request: the account its events are recorded under. */
export interface StaffIdentity {
  id: string;
  /** The account's name: the actor on every event this request causes. */
  name: string;
  role: StaffRole;
  /** Signed in with a one-time password that must be replaced before anything else. */
  mustChangePassword: boolean;
}
