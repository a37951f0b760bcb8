import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import { claimDataDir, DEMO_BRANDS_FILE, demoEnvironment } from '../../src/demo/environment.js';

/** The demo keeps its data, queues and mail apart from a real site's, whatever the shell it runs in has set. */
describe('the demo environment', () => {
  const root = mkdtempSync(join(tmpdir(), 'abuse-desk-demo-env-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('leaves a site\'s database, brands, resolvers, relay and platform aside, and names them', () => {
    const site = { DATABASE_URL: 'postgres://db/site', BRANDS_FILE: '/etc/brands.yaml', DNS_SERVERS: '10.0.0.53', OUTBOUND_SMTP_URL: 'smtp://relay', SMTP_PORT: '2600', API_TOKEN: 'token' };
    const { env, ignored } = demoEnvironment(site, '127.0.0.1:5353');
    expect(ignored).toEqual(['DATABASE_URL', 'BRANDS_FILE', 'DNS_SERVERS', 'OUTBOUND_SMTP_URL']);
    expect(env).toMatchObject({ BRANDS_FILE: DEMO_BRANDS_FILE, DNS_SERVERS: '127.0.0.1:5353', SMTP_PORT: '2600', API_TOKEN: 'token' });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.OUTBOUND_SMTP_URL).toBeUndefined();
  });

  it('has its own data folder and queue prefix, and listens on loopback, unless told otherwise', () => {
    expect(demoEnvironment({}, 'dns').env).toMatchObject({ DATA_DIR: './data-demo', QUEUE_PREFIX: 'abuse-desk-demo', SMTP_HOST: '127.0.0.1', HTTP_HOST: '127.0.0.1' });
    expect(demoEnvironment({ DATA_DIR: '/srv/demo', QUEUE_PREFIX: 'site' }, 'dns').env).toMatchObject({ DATA_DIR: '/srv/demo', QUEUE_PREFIX: 'site-demo' });
  });

  it('takes a new, empty or earlier demo folder, and refuses one with a site\'s data', () => {
    const fresh = join(root, 'fresh');
    claimDataDir(fresh);
    claimDataDir(fresh);
    const empty = join(root, 'empty');
    mkdirSync(empty);
    claimDataDir(empty);
    const site = join(root, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'secrets.json'), '{}');
    expect(() => claimDataDir(site)).toThrow(ConfigError);
  });
});
