import type { ChildProcess } from 'node:child_process';
export { freePort } from '../../support/ports.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));


const children = new Set<ChildProcess>();
let hooked = false;

/** Child processes a crashed test run must not leave behind. */
export function onExitKill(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const running of children) running.kill('SIGKILL');
  });
}

/** Milliseconds `fn` took, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: Math.round(performance.now() - started) };
}
