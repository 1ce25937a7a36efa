import fs from 'node:fs';
import { CONTEXT_FILE } from './infrastructure';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__ERP_INFRASTRUCTURE__?.stop();
  fs.rmSync(CONTEXT_FILE, { force: true });
}
