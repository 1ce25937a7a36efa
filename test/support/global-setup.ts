import fs from 'node:fs';
import path from 'node:path';
import { CONTEXT_FILE, startInfrastructure, type Infrastructure } from './infrastructure';

declare global {
  var __ERP_INFRASTRUCTURE__: Infrastructure | undefined;
}

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const infrastructure = await startInfrastructure((line) => process.stdout.write(`\n[test setup] ${line}`));
  globalThis.__ERP_INFRASTRUCTURE__ = infrastructure;
  fs.mkdirSync(path.dirname(CONTEXT_FILE), { recursive: true });
  fs.writeFileSync(CONTEXT_FILE, JSON.stringify(infrastructure.context, null, 2));
  process.stdout.write(`\n[test setup] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
