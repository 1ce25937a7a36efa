/**
 * Jest's own summary, then one plain line `N passed, N failed` so the count is the last thing a
 * run prints. Used in place of jest's 'default' reporter pair (see jest.config.js).
 */
const { SummaryReporter } = require('@jest/reporters');

class CountingSummaryReporter extends SummaryReporter {
  onRunComplete(contexts, results) {
    super.onRunComplete(contexts, results);
    process.stderr.write(`\n${results.numPassedTests} passed, ${results.numFailedTests} failed\n`);
  }
}
module.exports = CountingSummaryReporter;
