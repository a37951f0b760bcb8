import type { Logger } from '../lib/logger.js';
import { TimeoutError, withTimeout } from '../lib/timeout.js';

export type Closer = () => Promise<void>;

/**
 * What a role leaves to close, in two phases. The front takes work and is
 * closed all together first: the SMTP listener answers 421 to new sessions
 * while messages under way finish, workers drain, the web server stops. Then
 * the back, what the front needed, one at a time, last opened first:
 * transport, queues, database, Redis.
 */
export class Closers {
  readonly front: Closer[] = [];
  readonly back: Closer[] = [];

  /** Something that takes work. */
  onStop(close: Closer): void {
    this.front.push(close);
  }

  /** Something the front needs: closed after it, before whatever was opened earlier. */
  onRelease(close: Closer): void {
    this.back.unshift(close);
  }

  /** Takes over another role's closers; its back goes before ours (it was opened later). */
  adopt(other: Closers): void {
    this.front.push(...other.front);
    this.back.unshift(...other.back);
  }

  /** Closes the front together, then the back in order, each raced against one deadline. */
  async close(timeoutMs: number, logger: Logger): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const bounded = async (close: Closer) => {
      try {
        await withTimeout(close(), Math.max(100, deadline - Date.now()));
      } catch (error) {
        if (error instanceof TimeoutError) logger.warn('a component did not close in time; moving on');
        else logger.warn({ err: error }, 'error while closing');
      }
    };
    await Promise.all(this.front.map(bounded));
    for (const close of this.back) await bounded(close);
  }
}

/**
 * Runs a role's builder with its own closers. If the builder fails half way,
 * what it had opened is closed again before the error goes on.
 */
export async function buildRole<T>(logger: Logger, build: (closers: Closers) => Promise<T>): Promise<T & { closers: Closers }> {
  const closers = new Closers();
  try {
    return { ...(await build(closers)), closers };
  } catch (error) {
    await closers.close(10_000, logger);
    throw error;
  }
}
