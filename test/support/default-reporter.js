/** Jest's per-file progress reporter, without the summary that 'default' would add. */
module.exports = require('@jest/reporters').DefaultReporter;
