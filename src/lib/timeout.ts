export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Settles as `work` does, or rejects with `onTimeout()` once `ms` have passed,
 * whichever comes first. The timer is cleared either way, so it never keeps a
 * process alive. `work` itself is not stopped: give it its own bound where it
 * holds something (a socket, a parser).
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error = () => new TimeoutError(`timed out after ${ms} ms`)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
