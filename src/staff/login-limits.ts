import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { cidrMatcher } from '../lib/cidr.js';

export interface LoginLimitOptions {
  /** Failed sign-ins for one account name from one client IP per window. */
  failuresPerUser: number;
  /** Failed sign-ins from one client IP per window, whatever names it tries. */
  failuresPerIp: number;
  windowSeconds: number;
  /** CIDRs not limited per IP (RATE_LIMIT_EXEMPT: our own proxies and monitoring). */
  exempt: string[];
  prefix: string;
}

/** An account name's failures from everywhere together may be this many times those from one client. */
export const ALL_CLIENTS_FACTOR = 10;

/**
 * Failed sign-ins, counted in Redis so every web process shares the count
 * (in this process's memory while Redis is away, like the SMTP limits):
 * per client IP, per account name from that IP, and per account name from
 * everywhere, which is ten times higher. Counting a name only per IP would
 * let many clients guess one password; counting it only in all would let
 * anyone lock its owner out with a few wrong guesses. Exempt addresses
 * (RATE_LIMIT_EXEMPT) are counted only in the all-clients total: a proxy of
 * ours speaks for many people, and a forgotten exemption still has a bound.
 */
export class LoginLimits {
  private readonly ip: RateLimiterRedis;
  private readonly nameFromIp: RateLimiterRedis;
  private readonly name: RateLimiterRedis;
  private readonly isExempt: (ip: string) => boolean;

  constructor(redis: Redis, private readonly options: LoginLimitOptions) {
    const limiter = (name: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${options.prefix}:${name}`,
        points,
        duration: options.windowSeconds,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration: options.windowSeconds }),
      });
    this.ip = limiter('login-ip', options.failuresPerIp);
    this.nameFromIp = limiter('login-name-ip', options.failuresPerUser);
    this.name = limiter('login-name', options.failuresPerUser * ALL_CLIENTS_FACTOR);
    this.isExempt = cidrMatcher(options.exempt);
  }

  /** Seconds to wait before this IP may try this name again; 0 when it may now. */
  async retryAfter(ip: string, name: string): Promise<number> {
    const checks = [wait(this.name, name, this.options.failuresPerUser * ALL_CLIENTS_FACTOR)];
    if (!this.isExempt(ip)) checks.push(wait(this.ip, ip, this.options.failuresPerIp), wait(this.nameFromIp, `${name}|${ip}`, this.options.failuresPerUser));
    return Math.max(...(await Promise.all(checks)));
  }

  async failed(ip: string, name: string): Promise<void> {
    const counts = [count(this.name, name)];
    if (!this.isExempt(ip)) counts.push(count(this.ip, ip), count(this.nameFromIp, `${name}|${ip}`));
    await Promise.all(counts);
  }

  /** A good password clears the name's failures from that IP (not the IP's, nor the name's in all: one right guess buys no more tries elsewhere). */
  async succeeded(ip: string, name: string): Promise<void> {
    await this.nameFromIp.delete(`${name}|${ip}`);
  }
}

async function wait(limiter: RateLimiterRedis, key: string, points: number): Promise<number> {
  const res = await limiter.get(key);
  return res && res.consumedPoints >= points ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;
}

async function count(limiter: RateLimiterRedis, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    // Over the limit already: counted all the same, and the next check says so.
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
  }
}
