/** The database itself refuses bad writes, whatever the code above it does. */
import { sql } from 'drizzle-orm';
import { createDatabase, type Database } from '../../db/client';
import { eventRoutes, events, stockLevels, stockMovements } from '../../db/schema';
import { createTestDatabase } from '../support/harness';
import { readContext } from '../support/infrastructure';

let database: Database;
let drop: () => Promise<void>;
beforeAll(async () => {
  const testDb = await createTestDatabase(readContext());
  drop = testDb.drop;
  database = createDatabase(testDb.url, { max: 2 });
  await database.db.insert(events).values({
    source: 's',
    id: 'e1',
    type: 'inventory.stock_adjusted',
    typeVersion: 1,
    specVersion: '1.0',
    data: { sku: 'A', delta: 1, reason: 'r' },
    correlationId: 'e1',
  });
  await database.db.insert(stockLevels).values({ sku: 'A', onHand: 5 });
  await database.db.insert(stockMovements).values({
    sku: 'A',
    delta: 5,
    onHandAfter: 5,
    reason: 'r',
    causationSource: 's',
    causationId: 'e1',
    correlationId: 'e1',
  });
});
afterAll(async () => {
  await database?.close();
  await drop?.();
});

const cause = (p: Promise<unknown>) =>
  p.catch((err: { cause?: { message?: string } } & Error) => {
    throw new Error(err.cause?.message ?? err.message);
  });

describe('constraints', () => {
  it('events are append-only: no UPDATE, DELETE or TRUNCATE', async () => {
    await expect(cause(database.db.update(events).set({ type: 'x' }))).rejects.toThrow(/append-only/);
    await expect(cause(database.db.delete(events))).rejects.toThrow(/append-only/);
    await expect(cause(database.db.execute(sql`truncate events cascade`))).rejects.toThrow(/append-only/);
    expect(await database.db.select().from(events)).toHaveLength(1);
  });

  it('stock movements are append-only', async () => {
    await expect(cause(database.db.update(stockMovements).set({ delta: 9 }))).rejects.toThrow(/append-only/);
    await expect(cause(database.db.delete(stockMovements))).rejects.toThrow(/append-only/);
  });

  it('stock on hand never goes negative, nor below what is reserved', async () => {
    await expect(cause(database.db.update(stockLevels).set({ onHand: -1 }))).rejects.toThrow(
      /stock_levels_on_hand_non_negative/,
    );
    await expect(cause(database.db.update(stockLevels).set({ reserved: 6 }))).rejects.toThrow(
      /stock_levels_reserved_le_on_hand/,
    );
  });

  it('the same event cannot be stored twice, nor cause two movements', async () => {
    await expect(
      cause(
        database.db.insert(events).values({
          source: 's',
          id: 'e1',
          type: 't',
          typeVersion: 1,
          specVersion: '1.0',
          data: {},
          correlationId: 'e1',
        }),
      ),
    ).rejects.toThrow(/events_source_id_pk/);
    await expect(
      cause(
        database.db.insert(stockMovements).values({
          sku: 'A',
          delta: 1,
          onHandAfter: 6,
          reason: 'r',
          causationSource: 's',
          causationId: 'e1',
          correlationId: 'e1',
        }),
      ),
    ).rejects.toThrow(/stock_movements_causation_unique/);
  });

  it('a route must belong to a stored event, and a delivered route names its run', async () => {
    await expect(
      cause(
        database.db
          .insert(eventRoutes)
          .values({ eventSource: 's', eventId: 'missing', eventSeq: 1, workflowId: 'w' }),
      ),
    ).rejects.toThrow(/foreign key/);
    await expect(
      cause(
        database.db
          .insert(eventRoutes)
          .values({ eventSource: 's', eventId: 'e1', eventSeq: 1, workflowId: 'w', status: 'delivered' }),
      ),
    ).rejects.toThrow(/event_routes_delivered_has_run/);
  });
});
