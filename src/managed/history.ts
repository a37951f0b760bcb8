import type { Db } from '../db/index.js';
import type { AccountHistory } from '../mail/evidence/index.js';

const YEAR_MS = 365 * 86_400_000;

/** An account's last year: other abuse cases about it, and its domains suspended. */
export function accountHistoryLoader(db: Db, now: () => Date) {
  return async (account: string): Promise<AccountHistory> => {
    const since = new Date(now().getTime() - YEAR_MS);
    const [otherCases, suspensions] = await Promise.all([
      db.case.count({ where: { account, kind: 'abuse', receivedAt: { gte: since } } }),
      db.measure.count({ where: { account, measure: 'suspend-domain', status: 'done', at: { gte: since } } }),
    ]);
    return { otherCases, suspensions };
  };
}
