/** CRM tasks opened by any workflow (dunning calls, purchasing chases, follow-ups), once per key. */
import { causeColumns } from '../schema/columns';
import { eq } from 'drizzle-orm';
import type { Tx } from '../client';
import { crmTasks, type CrmTaskRow } from '../schema';

export interface TaskToOpen {
  /** Unique per task, e.g. `dunning-2/INV-1`; opening it again returns the first one. */
  taskKey: string;
  type: string;
  title: string;
  customerId?: string;
  ticketId?: string;
  orderId?: string;
  purchaseOrderId?: string;
  assignee?: string;
  dueAt?: Date;
  cause: { source?: string; id?: string; correlationId: string };
}

export async function openTask(tx: Tx, task: TaskToOpen): Promise<{ task: CrmTaskRow; created: boolean }> {
  const [row] = await tx
    .insert(crmTasks)
    .values({
      taskKey: task.taskKey,
      type: task.type,
      title: task.title,
      customerId: task.customerId ?? null,
      ticketId: task.ticketId ?? null,
      orderId: task.orderId ?? null,
      purchaseOrderId: task.purchaseOrderId ?? null,
      assignee: task.assignee ?? null,
      dueAt: task.dueAt ?? null,
      ...causeColumns(task.cause),
    })
    .onConflictDoNothing({ target: crmTasks.taskKey })
    .returning();
  if (row) return { task: row, created: true };
  const [prior] = await tx.select().from(crmTasks).where(eq(crmTasks.taskKey, task.taskKey));
  if (!prior) throw new Error(`crm task ${task.taskKey} neither inserted nor found`);
  return { task: prior, created: false };
}
