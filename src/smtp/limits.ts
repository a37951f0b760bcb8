import type { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { SmtpError } from './errors.js';

export interface RateLimitOptions {
  /** New sessions one client IP may open per minute. */
  connectionsPerMinutePerIp: number;
  /** Messages (MAIL FROM) one envelope sender may start per hour. */
  messagesPerHourPerSender: number;
  /** CIDRs never limited (our own relays, monitoring). */
  exempt: string[];
  prefix: string;
}

export const rateLimitErrors = {
  ip: (retrySeconds: number) => new SmtpError(421, '4.7.0', `Too many connections from your address; try again in ${retrySeconds} seconds`, 'rate_limited_ip'),
  sender: (retrySeconds: number) => new SmtpError(450, '4.7.1', `Too many messages from this sender; try again in ${retrySeconds} seconds`, 'rate_limited_sender'),
};

/**
 * Per client IP and per envelope sender, counted in Redis so every SMTP
 * process of a site shares the count. When Redis is away the count falls back
 * to this process's memory rather than letting everyone through or no one.
 */
export class SmtpRateLimits {
  private readonly ip: RateLimiterRedis;
  private readonly sender: RateLimiterRedis;
  private readonly exempt: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>;

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
    this.exempt = options.exempt.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  isExempt(ip: string): boolean {
    try {
      let address = ipaddr.parse(ip);
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) address = (address as ipaddr.IPv6).toIPv4Address();
      return this.exempt.some((range) => address.kind() === range[0].kind() && address.match(range));
    } catch {
      return false;
    }
  }

  /** Throws `421 4.7.0` when the IP opened too many sessions this minute. */
  async connection(ip: string): Promise<void> {
    if (this.isExempt(ip)) return;
    await consume(this.ip, ip, rateLimitErrors.ip);
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
