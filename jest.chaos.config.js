/**
 * `npm run test:chaos`: the chaos run alone (test/chaos), with the same services per run as
 * `npm test`. CHAOS_ORDERS (default 1000), CHAOS_WORKERS (3), CHAOS_KILL_EVERY_MS (4000-12000).
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/chaos'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 3_600_000,
  maxWorkers: 1,
};
