export * from './events';
export * from './inventory';
export * from './idempotency';
