import { describe, expect, it } from 'vitest';
import { TimeoutError, withTimeout } from '../../src/lib/timeout.js';

describe('withTimeout', () => {
  it('gives what the work gives when it is in time', async () => {
    await expect(withTimeout(Promise.resolve('done'), 1_000)).resolves.toBe('done');
  });

  it('passes on the work\'s own failure', async () => {
    await expect(withTimeout(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });

  it('rejects with a TimeoutError, or the caller\'s error, when the work takes too long', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(withTimeout(never, 20)).rejects.toBeInstanceOf(TimeoutError);
    await expect(withTimeout(never, 20, () => new RangeError('too slow'))).rejects.toBeInstanceOf(RangeError);
  });
});
