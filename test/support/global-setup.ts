import fs from 'node:fs';
import path from 'node:path';
import { contextFile, startInfrastructure, type Infrastructure } from './infrastructure';

declare global {
  var __ERP_INFRASTRUCTURE__: Infrastructure | undefined;
}

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const infrastructure = await startInfrastructure((line) => process.stdout.write(`\n[test setup] ${line}`));
  globalThis.__ERP_INFRASTRUCTURE__ = infrastructure;
  const file = contextFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(infrastructure.context, null, 2));
  // test workers start after this and inherit the variable
  process.env.ERP_TEST_CONTEXT_FILE = file;
  process.stdout.write(`\n[test setup] ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
