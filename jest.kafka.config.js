/** `npm run test:kafka`: the Kafka connector's tests, which start a real broker (test/kafka). */
const base = require('./jest.config.js');

module.exports = { ...base, roots: ['<rootDir>/test/kafka'], testPathIgnorePatterns: ['/node_modules/'] };
