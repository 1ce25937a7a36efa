import fs from 'node:fs';
import { contextFile } from './infrastructure';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__ERP_INFRASTRUCTURE__?.stop();
  fs.rmSync(contextFile(), { force: true });
}
