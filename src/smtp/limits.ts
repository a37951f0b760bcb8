import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { cidrMatcher } from '../lib/cidr.js';
import { SmtpError } from './errors.js';

export interface RateLimitOptions {
  /** New sessions one client IP may open per minute. */
  connectionsPerMinutePerIp: number;
  /** Sessions one client IP may hold open at once on this listener. */
  openSessionsPerIp: number;
  /** Messages (MAIL FROM) one envelope sender may start per hour. */
  messagesPerHourPerSender: number;
  /** CIDRs never limited (our own relays, monitoring). */
  exempt: string[];
  prefix: string;
}

export const rateLimitErrors = {
  openSessions: (limit: number) => new SmtpError(421, '4.7.0', `Too many connections from your address at once (at most ${limit}); try again later`, 'too_many_sessions_ip'),
  ip: (retrySeconds: number) => new SmtpError(421, '4.7.0', `Too many connections from your address; try again in ${retrySeconds} seconds`, 'rate_limited_ip'),
  sender: (retrySeconds: number) => new SmtpError(450, '4.7.1', `Too many messages from this sender; try again in ${retrySeconds} seconds`, 'rate_limited_sender'),
};

/**
 * Per client IP and per envelope sender, counted in Redis so every SMTP
 * process of a site shares the count. When Redis is away the count falls back
 * to this process's memory rather than letting everyone through or no one.
 * Sessions open at once are counted by each listener itself: they are its own
 * slots (SMTP_MAX_CLIENTS), and a count that outlived a crashed process would
 * lock an address out.
 */
export class SmtpRateLimits {
  private readonly ip: RateLimiterRedis;
  private readonly sender: RateLimiterRedis;
  readonly isExempt: (ip: string) => boolean;
  /** Open sessions per client IP, and the IP each counted session holds a slot of. */
  private readonly openPerIp = new Map<string, number>();
  private readonly slots = new Map<string, string>();

  constructor(redis: Redis, private readonly options: RateLimitOptions) {
    this.ip = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${options.prefix}:rl-ip`,
      points: options.connectionsPerMinutePerIp,
      duration: 60,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ points: options.connectionsPerMinutePerIp, duration: 60 }),
    });
    this.sender = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${options.prefix}:rl-sender`,
      points: options.messagesPerHourPerSender,
      duration: 3_600,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ points: options.messagesPerHourPerSender, duration: 3_600 }),
    });
    this.isExempt = cidrMatcher(options.exempt);
  }

  /**
   * Takes a slot for the session; throws `421 4.7.0` when the IP holds too
   * many sessions open or opened too many this minute. Every session, refused
   * or not, gives its slot back with `closed`.
   */
  async connection(ip: string, sessionId: string): Promise<void> {
    if (this.isExempt(ip)) return;
    const open = this.openPerIp.get(ip) ?? 0;
    if (open >= this.options.openSessionsPerIp) throw rateLimitErrors.openSessions(this.options.openSessionsPerIp);
    this.openPerIp.set(ip, open + 1);
    this.slots.set(sessionId, ip);
    await consume(this.ip, ip, rateLimitErrors.ip);
  }

  /** The session ended: its slot is free again. Safe to call for any session, and twice. */
  closed(sessionId: string): void {
    const ip = this.slots.get(sessionId);
    if (ip === undefined) return;
    this.slots.delete(sessionId);
    const open = (this.openPerIp.get(ip) ?? 1) - 1;
    if (open > 0) this.openPerIp.set(ip, open);
    else this.openPerIp.delete(ip);
  }

  /** Throws `450 4.7.1` when the sender started too many messages this hour. */
  async message(ip: string, sender: string): Promise<void> {
    if (this.isExempt(ip)) return;
    await consume(this.sender, sender.toLowerCase() || `<>@${ip}`, rateLimitErrors.sender);
  }
}

async function consume(limiter: RateLimiterRedis, key: string, error: (retrySeconds: number) => SmtpError): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw error(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    throw rejection;
  }
}
