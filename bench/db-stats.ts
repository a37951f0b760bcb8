import { writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';

/**
 * Diagnostics for `npm run bench -- --db-stats`: loaded into the product with
 * `node --import`, it counts the embedded database's statements and
 * transactions and how long each held the database (PGlite runs one thing at a
 * time: a transaction locks out every other query until it ends). Written as
 * JSON to BENCH_DB_STATS_FILE when the process exits. Never part of the product.
 */

interface Stat {
  count: number;
  ms: number;
}

const statements = new Map<string, Stat>();
const transactions = { count: 0, waitMs: 0, holdMs: 0, statements: 0, maxHoldMs: 0 };
const standalone = { count: 0, waitMs: 0, ms: 0 };

function note(sql: string, ms: number): void {
  const key = sql.replace(/\s+/g, ' ').replace(/\$\d+/g, '$').slice(0, 160);
  const stat = statements.get(key) ?? { count: 0, ms: 0 };
  stat.count++;
  stat.ms += ms;
  statements.set(key, stat);
}

type QueryFn = (sql: string, ...rest: unknown[]) => Promise<unknown>;
const proto = PGlite.prototype as unknown as { query: QueryFn; exec: QueryFn; transaction(fn: (tx: Record<string, QueryFn>) => Promise<unknown>): Promise<unknown> };

for (const method of ['query', 'exec'] as const) {
  const original = proto[method];
  proto[method] = async function (this: unknown, sql: string, ...rest: unknown[]) {
    const started = performance.now();
    try {
      return await original.call(this, sql, ...rest);
    } finally {
      const ms = performance.now() - started;
      standalone.count++;
      standalone.ms += ms;
      note(sql, ms);
    }
  };
}

const originalTransaction = proto.transaction;
proto.transaction = function (this: unknown, fn) {
  const called = performance.now();
  return originalTransaction.call(this, async (tx) => {
    const began = performance.now();
    transactions.count++;
    transactions.waitMs += began - called;
    for (const method of ['query', 'exec'] as const) {
      const original = tx[method] as QueryFn;
      tx[method] = async (sql: string, ...rest: unknown[]) => {
        const started = performance.now();
        try {
          return await original(sql, ...rest);
        } finally {
          transactions.statements++;
          note(sql, performance.now() - started);
        }
      };
    }
    try {
      return await fn(tx);
    } finally {
      const held = performance.now() - began;
      transactions.holdMs += held;
      transactions.maxHoldMs = Math.max(transactions.maxHoldMs, held);
    }
  });
};

process.on('exit', () => {
  const file = process.env.BENCH_DB_STATS_FILE;
  if (!file) return;
  const top = [...statements.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([sql, stat]) => ({ sql, ...stat }));
  writeFileSync(file, JSON.stringify({ transactions, standalone, statements: top }, null, 2));
});
