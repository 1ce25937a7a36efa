/** The config module names every bad setting, and a process with one refuses to start. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../lib/config';

describe('loadConfig', () => {
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
