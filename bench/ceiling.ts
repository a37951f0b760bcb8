import { join } from 'node:path';
import { spawnNode, waitUntilReady, type NodeChild } from './processes.js';

/** Starts bench/ceiling-server.ts as its own process and learns its port from its first line. */
export async function startCeiling(repoRoot: string, workDir: string): Promise<{ child: NodeChild; port: number }> {
  let port = 0;
  const child = spawnNode('ceiling', 'bench/ceiling-server.ts', [], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' },
    logFile: join(workDir, 'ceiling.log'),
    onLine: (line) => {
      const match = /^\{"port":(\d+)\}$/.exec(line.trim());
      if (match) port = Number(match[1]);
    },
  });
  await waitUntilReady(child, async () => port > 0, 30_000, 'listening');
  return { child, port };
}
