/** The config module names every bad setting, and a process with one refuses to start. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { ConfigError, configSchema, loadConfig } from '../../lib/config';
import { temporalSecurity } from '../../lib/temporal';

describe('loadConfig', () => {
  it('documents every setting in the README configuration table', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## API'));
    const undocumented = Object.keys(configSchema.shape).filter(
      (key) => key !== 'PATH' && !table.includes(`\`${key}\``),
    );
    expect(undocumented).toEqual([]);
  });

  it('turns TLS on for an API key or a client certificate, and names an unreadable file', () => {
    expect(temporalSecurity(loadConfig({}))).toEqual({});
    expect(temporalSecurity(loadConfig({ TEMPORAL_API_KEY: 'k' }))).toEqual({ tls: true, apiKey: 'k' });
    expect(temporalSecurity(loadConfig({ TEMPORAL_TLS: 'true' }))).toEqual({ tls: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-tls-'));
    fs.writeFileSync(path.join(dir, 'c.pem'), 'CERT');
    fs.writeFileSync(path.join(dir, 'k.pem'), 'KEY');
    const pair = temporalSecurity(
      loadConfig({
        TEMPORAL_TLS_CERT_PATH: path.join(dir, 'c.pem'),
        TEMPORAL_TLS_KEY_PATH: path.join(dir, 'k.pem'),
      }),
    );
    expect(pair).toEqual({ tls: { clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } } });
    const missing = loadConfig({
      TEMPORAL_TLS_CERT_PATH: path.join(dir, 'c.pem'),
      TEMPORAL_TLS_KEY_PATH: path.join(dir, 'nope.pem'),
    });
    expect(() => temporalSecurity(missing)).toThrow(/TEMPORAL_TLS_KEY_PATH: cannot read/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names every bad domain, and TLS settings that do not fit together', () => {
    expect(loadConfig({ WORKER_DOMAINS: 'inventory, crm' }).WORKER_DOMAINS).toEqual(['inventory', 'crm']);
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems.map((p) => p.setting);
      }
    };
    expect(problems({ WORKER_DOMAINS: 'inventory,hr' })).toEqual(['WORKER_DOMAINS']);
    expect(problems({ WORKER_DOMAINS: ' , ' })).toEqual(['WORKER_DOMAINS']);
    expect(problems({ TEMPORAL_TLS_CERT_PATH: '/c.pem' })).toEqual(['TEMPORAL_TLS_KEY_PATH']);
    expect(problems({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' })).toEqual(['TEMPORAL_TLS']);
    expect(problems({ TEMPORAL_TLS: 'maybe' })).toEqual(['TEMPORAL_TLS']);
    expect(loadConfig({ TEMPORAL_TLS: '' }).TEMPORAL_TLS).toBeUndefined();
  });

  it('fills defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      API_PORT: 3000,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'erp',
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
  });

  it('treats an empty optional setting as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: ' ' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.TEMPORAL_ADDRESS).toBeUndefined();
  });

  it('names every bad setting', () => {
    let error: unknown;
    try {
      loadConfig({
        API_PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        TEMPORAL_ADDRESS: 'no-port',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const settings = (error as ConfigError).problems.map((p) => p.setting).sort();
    expect(settings).toEqual(['API_PORT', 'DATABASE_URL', 'LOG_LEVEL', 'TEMPORAL_ADDRESS']);
    expect((error as ConfigError).message).toMatch(/DATABASE_URL: must be a postgres/);
  });
});

describe('a process with a bad setting', () => {
  it.each([
    ['api/server.ts', { API_PORT: '99999' }, 'API_PORT'],
    ['workers/main.ts', { TEMPORAL_ADDRESS: 'localhost' }, 'TEMPORAL_ADDRESS'],
  ])('%s refuses to start and names %j', (entry, env, setting) => {
    const root = path.resolve(__dirname, '..', '..');
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, entry)], {
      cwd: root,
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${setting}:`);
  });
});
