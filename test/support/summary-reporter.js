/**
 * Jest's own summary, then one plain line `N passed, N failed` so the count is the last thing a
 * run prints. Used in place of jest's 'default' reporter pair (see jest.config.js). With
 * TEST_SUMMARY_FILE set, the counts are also appended there as `passed failed` (`.ci/run` adds up
 * the runs it makes into one final line).
 */
const fs = require('node:fs');
const { SummaryReporter } = require('@jest/reporters');

class CountingSummaryReporter extends SummaryReporter {
  onRunComplete(contexts, results) {
    super.onRunComplete(contexts, results);
    // a suite that failed to run (or an afterAll that threw) counts as a failure too
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    if (process.env.TEST_SUMMARY_FILE) {
      fs.appendFileSync(process.env.TEST_SUMMARY_FILE, `${results.numPassedTests} ${failed}\n`);
    }
    process.stderr.write(`\n${results.numPassedTests} passed, ${failed} failed\n`);
  }
}
module.exports = CountingSummaryReporter;
