import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * The suite needs PostgreSQL and Redis (integration tiers). When either is
 * missing, say so once and fail, rather than letting tests skip or time out.
 */
const services = [
  { name: 'PostgreSQL', url: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  { name: 'Redis', url: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' },
];

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export default async function setup(): Promise<void> {
  // Tests that start the product as a user does run what `npm start` runs, the
  // compiled dist/: built once here from the sources under test, before any
  // of them could start one concurrently.
  execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'inherit' });
  const missing: string[] = [];
  for (const service of services) {
    if (!(await reachable(service.url))) missing.push(`${service.name} at ${service.url}`);
  }
  if (missing.length > 0) {
    throw new Error(`tests need these services and cannot reach them: ${missing.join('; ')} (.ci/run starts them)`);
  }
}
