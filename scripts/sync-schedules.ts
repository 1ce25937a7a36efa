/**
 * `npm run schedules:sync`: registers the batch schedules (workers/schedules.ts) as a worker does at
 * start, against TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, with TEMPORAL_TASK_QUEUE and
 * SCHEDULE_ID_PREFIX; prints what it created, updated or left unchanged.
 */
import { Client, Connection } from '@temporalio/client';
import { loadConfigOrExit } from '../lib/config';
import { temporalAddress, temporalSecurityOrExit } from '../lib/temporal';
import { registerSchedules } from '../workers/schedules';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const connection = await Connection.connect({
    address: temporalAddress(config),
    ...temporalSecurityOrExit(config),
  });
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const results = await registerSchedules(client, {
      taskQueuePrefix: config.TEMPORAL_TASK_QUEUE,
      idPrefix: config.SCHEDULE_ID_PREFIX,
    });
    for (const r of results) console.log(`${r.scheduleId}: ${r.outcome}`);
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
