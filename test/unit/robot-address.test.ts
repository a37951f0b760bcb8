import { describe, expect, it } from 'vitest';
import { isRobotAddress } from '../../src/mail/robot-address.js';

/**
 * One rule for the addresses of machines: intake refuses their mail and
 * outbound never writes to them. The two sides once had rules of their own;
 * where they disagreed (the second group) the stricter one, intake's, holds.
 */
describe('robot addresses', () => {
  it.each(['MAILER-DAEMON@mx.example.org', 'mailer-daemon', 'postmaster@example.org', 'noreply@example.org', 'no-reply@example.org', 'do-not-reply@example.org', 'donotreply@example.org', 'bounce@example.org', 'bounces+8f2a=registrar.test@example.org'])(
    '%s is a robot on both sides, as it always was',
    (address) => {
      expect(isRobotAddress(address)).toBe(true);
    },
  );

  it.each(['no_reply@example.org', 'do.not.reply@example.org', 'dont-reply@example.org', 'accounts-noreply@example.org', 'Bounce123@example.org', 'postmaster-eu@example.org', 'mailer_daemon@example.org'])(
    '%s, which outbound used to write to, is a robot',
    (address) => {
      expect(isRobotAddress(address)).toBe(true);
    },
  );

  it.each(['jane@example.org', 'reply@example.org', 'post@example.org', 'bob.ounce@example.org', 'abuse-desk@example.org', '@example.org'])('%s is a person', (address) => {
    expect(isRobotAddress(address)).toBe(false);
  });
});
