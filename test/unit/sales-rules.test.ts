/** The pure order-to-cash rules: tax per line half-even, and the invoice number in a payment reference. */
import { invoiceNumberFor, lineTax, orderIdFromReference } from '../../domain/sales';

describe('lineTax', () => {
  it.each([
    [2500, 1000, 250],
    [4995, 1000, 500], // 499.5 → 500 (to even)
    [1005, 1000, 100], // 100.5 → 100 (to even)
    [1006, 1000, 101], // 100.6 → 101
    [1004, 1000, 100], // 100.4 → 100
    [999, 1900, 190], // 189.81 → 190
    [0, 1900, 0],
    [12345, 0, 0],
    [Number.MAX_SAFE_INTEGER, 1, 900719925474], // exact in BigInt
  ])('%i at %i bps is %i', (lineTotal, bps, tax) => {
    expect(lineTax(lineTotal, bps)).toBe(tax);
  });
});

describe('orderIdFromReference', () => {
  it.each([
    ['INV-O-1001', 'O-1001'],
    ['Payment for INV-O-1001, thanks', 'O-1001'],
    ['invoice INV-O-1001.', 'O-1001'],
    ['(INV-2026/07:A)', '2026/07:A'],
    ['ref:INV-abc_1 and INV-other', 'abc_1'],
    ['XINV-O-1', null],
    ['INV-', null],
    ['no invoice here', null],
    ['', null],
    [undefined, null],
  ])('%s → %s', (reference, orderId) => {
    expect(orderIdFromReference(reference)).toBe(orderId);
  });

  it('reads back the invoice number it defines', () => {
    expect(orderIdFromReference(`paid ${invoiceNumberFor('O-7.1')}`)).toBe('O-7.1');
  });
});
