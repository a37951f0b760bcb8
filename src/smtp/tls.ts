import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/env.js';

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  selfSigned: boolean;
}

/**
 * The STARTTLS certificate: the configured files, or a self-signed one generated
 * once into DATA_DIR/tls (senders to an MX rarely verify certificates, but they
 * do prefer an encrypted channel).
 */
export async function loadTls(options: { certFile?: string; keyFile?: string; dataDir: string; hostname: string }): Promise<TlsMaterial> {
  if (options.certFile || options.keyFile) {
    if (!options.certFile || !options.keyFile) throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
    try {
      return { cert: readFileSync(options.certFile), key: readFileSync(options.keyFile), selfSigned: false };
    } catch (error) {
      throw new ConfigError(`TLS_CERT_FILE/TLS_KEY_FILE: ${(error as Error).message}`);
    }
  }
  const dir = join(options.dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { cert: readFileSync(certPath), key: readFileSync(keyPath), selfSigned: true };
  }
  // Loaded only to make a certificate, once: its X.509 libraries are large for a listener to carry.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: options.hostname }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: options.hostname }] }],
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private), selfSigned: true };
}
