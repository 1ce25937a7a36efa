/**
 * `npm run test:record-histories [-- name ...]`: runs each workflow's scenario (scripts/histories/)
 * against real services (the same ones the tests start) and saves every run's history under
 * test/histories, for the replay test. Run it after a deliberate, versioned change to a workflow;
 * commit the new files. With names, only those scenarios run. Existing files are kept unless
 * `--overwrite` is given (see saveChain).
 */
import { randomUUID } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { createDatabase } from '../db/client';
import { DOMAINS } from '../domain/names';
import { businessSettingsSchema } from '../domain/settings';
import { connectTemporal } from '../lib/temporal';
import { createDomainWorkers, installSdkLogging } from '../workers/worker';
import { startInfrastructure } from '../test/support/infrastructure';
import { createTestDatabase } from '../test/support/harness';
import { HISTORY_SCENARIOS } from './histories';
import { saveChain } from './histories/scenario';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const overwrite = args.includes('--overwrite');
  const wanted = args.filter((a) => a !== '--overwrite');
  const unknown = wanted.filter((n) => !HISTORY_SCENARIOS.some((s) => s.name === n));
  if (unknown.length) {
    console.error(
      `unknown scenario(s): ${unknown.join(', ')}; known: ${HISTORY_SCENARIOS.map((s) => s.name).join(', ')}`,
    );
    process.exit(2);
  }
  const scenarios = wanted.length
    ? HISTORY_SCENARIOS.filter((s) => wanted.includes(s.name))
    : HISTORY_SCENARIOS;

  installSdkLogging('error');
  const infra = await startInfrastructure((line) => console.log(line));
  const testDb = await createTestDatabase(infra.context);
  const database = createDatabase(testDb.url);
  const connection = await NativeConnection.connect({ address: infra.context.temporalAddress });
  try {
    for (const scenario of scenarios) {
      // each scenario has its own task queues, so its workers run with its own settings
      const taskQueuePrefix = `record-histories-${randomUUID().slice(0, 8)}`;
      const workers = (
        await createDomainWorkers({
          connection,
          namespace: infra.context.namespace,
          taskQueuePrefix,
          domains: DOMAINS,
          db: database.db,
          settings: businessSettingsSchema.parse(scenario.settings ?? {}),
          workflowBundle: { codePath: infra.context.workflowBundlePath },
        })
      ).map((w) => w.worker);
      const temporal = connectTemporal(infra.context.temporalAddress, {
        namespace: infra.context.namespace,
        taskQueuePrefix,
        uiUrl: infra.context.uiUrl,
      });
      const running = Promise.all(workers.map((w) => w.run()));
      try {
        const files = await scenario.run({
          client: temporal.client,
          taskQueuePrefix,
          db: database.db,
          save: (workflowId, name) => saveChain(temporal.client, workflowId, name, overwrite),
        });
        for (const line of files) console.log(line);
      } finally {
        for (const w of workers) w.shutdown();
        await running;
        await temporal.connection.close();
      }
    }
  } finally {
    await connection.close();
    await database.close();
    await testDb.drop();
    await infra.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
