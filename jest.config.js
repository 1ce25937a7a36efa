/** One Temporal dev server, one Postgres and one workflow bundle per run (test/support/global-setup.ts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/kafka starts a Kafka broker of its own (jars from Maven Central, cached in .tools/kafka)
  // test/chaos is long and has its own command (npm run test:chaos, jest.chaos.config.js)
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/chaos/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFiles: ['<rootDir>/test/support/quiet-sdk.ts'],
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
  reporters: ['<rootDir>/test/support/default-reporter.js', '<rootDir>/test/support/summary-reporter.js'],
};
