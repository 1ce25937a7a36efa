/** Lineage helpers without I/O: the causing event among an activity's arguments, the selector. */
import { causeInArgs } from '../../activities/lineage';
import { parseLineageQuery } from '../../api/lineage';
import type { Problem } from '../../api/problem';

const ref = { source: 'shop', id: 'evt-1', correlationId: 'corr-1' };

describe('causeInArgs', () => {
  it('finds the cause of an argument, or of one of its fields, and nothing else', () => {
    expect(causeInArgs([{ orderId: 'O-1', cause: ref }])).toEqual(ref);
    expect(causeInArgs([{ order: { orderId: 'O-1' }, cause: ref }, 1000])).toEqual(ref);
    expect(causeInArgs([{ orderId: 'O-1', payment: { paymentId: 'P', cause: ref } }])).toEqual(ref);
    expect(causeInArgs([{ input: { cause: ref } }])).toEqual(ref);
    expect(causeInArgs(['SKU-1'])).toBeUndefined();
    expect(causeInArgs([{ ticketId: 'T-1' }])).toBeUndefined();
    expect(causeInArgs([{ cause: { source: 'shop' } }])).toBeUndefined();
    expect(causeInArgs([{ changes: [{ cause: ref }] }])).toBeUndefined();
  });
});

describe('parseLineageQuery', () => {
  const paths = (query: Record<string, string>) => {
    try {
      parseLineageQuery(query);
    } catch (err) {
      return ((err as Problem).errors ?? []).map((e) => e.path);
    }
    return [];
  };

  it('takes exactly one selector', () => {
    expect(parseLineageQuery({ orderId: 'O-1' })).toEqual({ orderId: 'O-1' });
    expect(parseLineageQuery({ source: 's', eventId: 'e' })).toEqual({ source: 's', eventId: 'e' });
    expect(parseLineageQuery({ correlationId: 'c' })).toEqual({ correlationId: 'c' });
    expect(paths({})).toEqual(['query']);
    expect(paths({ orderId: 'O-1', paymentId: 'P-1' })).toEqual(['orderId', 'paymentId']);
    expect(paths({ source: 's', eventId: 'e', sku: 'S' })).toEqual(['source', 'sku']);
    expect(paths({ eventId: 'e' })).toEqual(['source']);
    expect(paths({ ticketId: '' })).toEqual(['ticketId']);
    expect(paths({ orderId: 'O-1', extra: 'x' }).length).toBe(1);
  });
});
