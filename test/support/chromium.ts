/**
 * Headless Chromium for the console tests: Debian's chromium (apt-get install when missing; CI is a
 * fresh machine running as root) driven by playwright-core, with a fresh profile and the flags that
 * keep it from reaching for the network (the test machines have none).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Installs Debian's chromium with apt-get when it is not there (needs root, as in CI). */
export function ensureChromium(): string {
  if (fs.existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = asRoot ? [] : ['sudo', '-n'];
  const run = (args: string[]) => {
    const [cmd, ...rest] = [...sudo, ...args] as [string, ...string[]];
    execFileSync(cmd, rest, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  try {
    run(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']);
  } catch {
    // a fresh machine has no package lists yet
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']);
  }
  if (!fs.existsSync(CHROMIUM_PATH))
    throw new Error(`chromium not found at ${CHROMIUM_PATH} after apt-get install`);
  return CHROMIUM_PATH;
}

export interface HeadlessChromium {
  /** A browser context on a fresh profile: open pages with context.newPage(). */
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh user data dir (removed on close). */
export async function launchChromium(): Promise<HeadlessChromium> {
  const executablePath = ensureChromium();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-console-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
