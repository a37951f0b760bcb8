import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

/** The embedded database's folder is held by another live process. */
export class DatabaseLockedError extends Error {
  override readonly name = 'DatabaseLockedError';
}

export type LockAttempt = { held: true; release(): void } | { held: false; holderPid: number | null };

/**
 * An exclusive flock(2) on `path`, taken without waiting, that the kernel
 * drops the moment this process ends however it ends (SIGKILL, OOM kill, power
 * loss): nothing stale is left for a restart to wait out.
 *
 * Node has no flock of its own, so util-linux's flock(1) takes it on our open
 * file description, passed to it as fd 3: a flock belongs to the open file
 * description, not to the process that asked, so it stays held by our
 * descriptor after flock(1) exits and goes when our descriptor closes. (A
 * native addon would need a compiler at every install; a pid check is fooled
 * by pid reuse and races between two starters.)
 *
 * The holder writes its pid into the file, so a refusal can name it.
 */
export async function tryLockFile(path: string): Promise<LockAttempt> {
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  let status: number | null;
  let stderr = '';
  try {
    const child = spawn('flock', ['--exclusive', '--nonblock', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    [status] = (await Promise.race([once(child, 'exit'), once(child, 'error').then(([error]) => Promise.reject(error))])) as [number | null];
  } catch (error) {
    closeSync(fd);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`locking ${path} needs flock(1) (util-linux), which is not installed`, { cause: error });
    throw error;
  }
  if (status === 0) {
    ftruncateSync(fd, 0);
    writeSync(fd, `${process.pid}\n`, 0);
    let released = false;
    return {
      held: true,
      release() {
        if (released) return;
        released = true;
        closeSync(fd);
      },
    };
  }
  closeSync(fd);
  // flock(1) answers 1 when the lock is taken; anything else is its own failure.
  if (status !== 1) throw new Error(`flock(1) could not lock ${path} (exit ${status}): ${stderr.trim()}`);
  const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
  return { held: false, holderPid: Number.isInteger(holder) && holder > 0 ? holder : null };
}
