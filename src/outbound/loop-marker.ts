import { createHmac, timingSafeEqual } from 'node:crypto';

export const LOOP_HEADER = 'X-Abuse-Desk-Loop';

/**
 * A header every message we send carries, keyed to this installation's secret,
 * so our own mail coming back (a forward, a misconfigured auto-forwarder) is
 * recognised and dropped instead of starting a loop.
 */
export class LoopMarker {
  private readonly value: string;

  constructor(secret: string) {
    this.value = createHmac('sha256', secret).update('abuse-desk loop marker').digest('hex').slice(0, 24);
  }

  header(): string {
    return this.value;
  }

  isOurs(values: string[]): boolean {
    const expected = Buffer.from(this.value);
    return values.some((value) => {
      const given = Buffer.from(value.trim());
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  }
}
