/** The min/max rule and the late-delivery deadline, as pure functions. */
import { onOrderOf, projectedStock, reorderQuantity, type ReorderRule } from '../../domain/inventory';
import { lateAfter } from '../../workflows/procurement';

const rule = (r: Partial<ReorderRule> = {}): ReorderRule => ({
  reorderPoint: 20,
  orderUpTo: 100,
  packMultiple: 1,
  minOrderQuantity: 1,
  leadTimeDays: 0,
  supplierId: 'S',
  supplierKnown: true,
  version: 1,
  ...r,
});

describe('reorderQuantity', () => {
  it('orders nothing above the reorder point, and up to order-up-to at or below it', () => {
    expect(reorderQuantity(rule(), 21)).toBe(0);
    expect(reorderQuantity(rule(), 20)).toBe(80);
    expect(reorderQuantity(rule(), -5)).toBe(105);
  });
  it('rounds up to the pack multiple', () => {
    expect(reorderQuantity(rule({ packMultiple: 12 }), 15)).toBe(96); // 85 → 8 packs
    expect(reorderQuantity(rule({ packMultiple: 10 }), 20)).toBe(80);
  });
  it('orders at least the minimum order quantity, still in whole packs', () => {
    expect(reorderQuantity(rule({ minOrderQuantity: 150 }), 20)).toBe(150);
    expect(reorderQuantity(rule({ minOrderQuantity: 150, packMultiple: 40 }), 20)).toBe(160);
  });
});

describe('projected stock', () => {
  it('is on hand − reserved + what open procurements still expect', () => {
    const open = [
      { purchaseOrderId: 'a', workflowId: 'wa', quantity: 50, received: 20 },
      { purchaseOrderId: 'b', workflowId: 'wb', quantity: 10, received: 12 },
    ];
    expect(onOrderOf(open)).toBe(30);
    expect(projectedStock({ onHand: 10, reserved: 4 }, open)).toBe(36);
  });
});

describe('lateAfter', () => {
  it('is the end of the expected date (UTC) plus the grace', () => {
    expect(new Date(lateAfter('2026-12-04', 3600_000)).toISOString()).toBe('2026-12-05T01:00:00.000Z');
  });
});
