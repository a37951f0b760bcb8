/**
 * Test time. A test never computes a date from the wall clock: it reads
 * `testNow()` or starts a TestClock, and the product gets the same clock
 * injected. Normally that is today. `TEST_CLOCK_START` (an ISO instant) moves
 * it: time then runs from that instant at its usual speed, so CI can run the
 * date-sensitive tests on the hard dates (the days before Christmas and the
 * year end, Easter, the two DST switches; see .ci/hard-dates).
 */

function readStart(): Date | null {
  const value = process.env.TEST_CLOCK_START;
  if (!value) return null;
  const start = new Date(value);
  if (Number.isNaN(start.getTime())) throw new Error(`TEST_CLOCK_START: not an ISO date and time: ${value}`);
  return start;
}

const start = readStart();
const startedAt = Date.now();

/** Now, as the tests and the product under test see it. */
export function testNow(): Date {
  return start ? new Date(start.getTime() + (Date.now() - startedAt)) : new Date();
}

/** Set when the tests run on a moved clock; the product is then given `testNow`. */
export const movedClock: (() => Date) | undefined = start ? testNow : undefined;
