import { timingSafeEqual } from 'node:crypto';
import { basicAuth } from 'hono/basic-auth';
import { bearerAuth } from 'hono/bearer-auth';

/** Constant-time comparison, whatever the lengths. */
function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Pages: HTTP basic auth, user `admin`, password ADMIN_PASSWORD. */
export function adminAuth(password: string) {
  return basicAuth({
    verifyUser: (user, given) => same(user, 'admin') && same(given, password),
    realm: 'abuse desk',
  });
}

/** API and metrics: `Authorization: Bearer API_TOKEN`. */
export function apiAuth(token: string) {
  return bearerAuth({ verifyToken: async (given) => same(given, token) });
}
