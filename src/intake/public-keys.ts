import crypto, { type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * DKIM and ARC keys, parsed once. mailauth (with our patch, see
 * `patches/mailauth+*.patch`) parses each key record once, but for every
 * signature it hands the key's PEM text to `crypto.verify`, which parses it
 * again; OpenSSL 3 parses PEM slowly, and that parse cost more than the
 * signature check itself. mailauth offers no hook for its keys, but it calls
 * `verify` on the `node:crypto` module at the time of the call, so it is
 * wrapped there: a public key in PEM form is looked up by its exact text, and
 * anything else (private keys, DER, key objects, options with a passphrase)
 * goes to Node untouched. A key object cannot be changed, so sharing one is
 * safe; a changed DNS record is new text and is parsed anew; a PEM Node
 * refuses is never kept.
 */

export interface PublicKeyCacheStats {
  hits: number;
  misses: number;
  size: number;
}

export interface PublicKeyCache {
  stats(): PublicKeyCacheStats;
  /** Puts Node's own functions back. */
  uninstall(): void;
}

type Verify = typeof crypto.verify;

const PUBLIC_PEM = /^-----BEGIN (RSA )?PUBLIC KEY-----/;

// Kept on the module itself, so every copy of this file (test runners load one per test file) sees the same one.
const INSTALLED = Symbol.for('abuse-desk.public-key-cache');
type CryptoWithCache = typeof crypto & { [INSTALLED]?: PublicKeyCache };

/** Wraps `verify` on `node:crypto`; a second call returns the first cache. */
export function cachePublicKeys(max = 1_000): PublicKeyCache {
  const host = crypto as CryptoWithCache;
  const existing = host[INSTALLED];
  if (existing) return existing;
  const originalCreate = crypto.createPublicKey;
  const originalVerify: Verify = crypto.verify;
  const cache = new LRUCache<string, KeyObject>({ max });
  const counters = { hits: 0, misses: 0 };

  /** The PEM text of a public key given as text or a Buffer; null for anything else. */
  const pemOf = (key: unknown): string | null => {
    const text = Buffer.isBuffer(key) ? key.toString('latin1') : key;
    return typeof text === 'string' && PUBLIC_PEM.test(text) ? text : null;
  };

  const parsed = (pem: string): KeyObject => {
    const cached = cache.get(pem);
    if (cached) {
      counters.hits += 1;
      return cached;
    }
    counters.misses += 1;
    const key = originalCreate(pem);
    cache.set(pem, key);
    return key;
  };

  const verify = ((algorithm: Parameters<Verify>[0], data: Parameters<Verify>[1], key: Parameters<Verify>[2], signature: Parameters<Verify>[3], callback?: (error: Error | null, result: boolean) => void) => {
    const pem = pemOf(key);
    const usable = pem === null ? key : tryParsed(pem, key);
    return callback ? originalVerify(algorithm, data, usable, signature, callback) : originalVerify(algorithm, data, usable, signature);
  }) as Verify;

  /** A PEM Node refuses goes to `verify` as it came, so the error is Node's own. */
  const tryParsed = (pem: string, key: Parameters<Verify>[2]): Parameters<Verify>[2] => {
    try {
      return parsed(pem);
    } catch {
      return key;
    }
  };

  crypto.verify = verify;
  const installed: PublicKeyCache = {
    stats: () => ({ ...counters, size: cache.size }),
    uninstall: () => {
      crypto.verify = originalVerify;
      delete host[INSTALLED];
    },
  };
  host[INSTALLED] = installed;
  return installed;
}
