/** Stand-ins for the reorder reads of the SKU workflow, for workers that test other things. */
import type { Activities } from '../../activities';
import { DEFAULT_SETTINGS } from '../../domain/settings';

/** No reorder rule: the SKU workflow applies stock changes and never reorders. */
export const noReorderRule: Pick<
  Activities,
  'businessSettings' | 'loadReorderState' | 'readReorderRule' | 'readStockLevel' | 'raiseNoSupplierAlert'
> = {
  businessSettings: async () => DEFAULT_SETTINGS,
  loadReorderState: async () => ({
    rule: null,
    stock: { onHand: 0, reserved: 0 },
    open: [],
    nextPurchaseOrderSeq: 1,
  }),
  readReorderRule: async () => null,
  readStockLevel: async () => ({ onHand: 0, reserved: 0 }),
  raiseNoSupplierAlert: async () => ({ created: false }),
};
