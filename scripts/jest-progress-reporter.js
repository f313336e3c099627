// jest reporter (jest.config.js, only while OOA_JEST_PROGRESS names a file): appends one line when a
// test file starts and one when it ends, as they happen. .ci/run bounds each jest run; when one is
// stopped for running too long, these lines say which file was still running (jest's own report
// comes only at the end, which a stopped run never reaches).
'use strict';
const fs = require('fs');
const path = require('path');

class ProgressReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.file = process.env.OOA_JEST_PROGRESS;
  }

  write(line) {
    if (this.file) fs.appendFileSync(this.file, `${new Date().toISOString()} ${line}\n`);
  }

  onTestFileStart(test) {
    this.write(`start ${path.relative(this.rootDir, test.path)}`);
  }

  onTestFileResult(test, result) {
    const status = result.testExecError || result.numFailingTests > 0 ? 'failed' : 'passed';
    this.write(`end ${path.relative(this.rootDir, test.path)} ${status}`);
  }
}

module.exports = ProgressReporter;
