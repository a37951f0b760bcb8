import type { Db, Tx } from './index.js';

/**
 * Runs `read`, several queries, against one snapshot of the database
 * (REPEATABLE READ): a change committed while it runs is seen whole or not at
 * all. Prisma sends each relation of an `include` as a query of its own, so a
 * view assembled from several tables needs this to show one moment.
 */
export function readSnapshot<T>(db: Db, read: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction((tx) => read(tx), { isolationLevel: 'RepeatableRead', maxWait: 15_000, timeout: 15_000 });
}
