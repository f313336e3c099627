// jest testEnvironment (jest.config.js): Node's, with what a test writes straight to stdout held back.
// The @actions libraries the code under test drives (core, artifact, http-client) print workflow
// commands (::debug::, ::add-mask::) and progress lines (the artifact client's retries of a
// deliberately failing fake service: "database is on fire") on process.stdout, which jest does not
// capture. Here each test's stdout is kept in memory: dropped when the test passes, and printed
// (on stderr, under the test's name) when it fails, so a real failure still shows everything.
// console.* is jest's own buffered console and stays untouched; so do writes outside a test (file
// top level, beforeAll/afterAll), where suites print their timings. The AWS SDK's Node-version
// notice is switched off by its own variable (see the constructor).
'use strict';
const { Buffer } = require('buffer');
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

class QuietEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    this.held = null;
    this.realWrite = null;
    this.wrapper = null;
    // The AWS SDK warns once per test file (process.emitWarning, on stderr) that its releases from
    // 2027 need Node 22: a notice about the SDK's future, not about the test. Only the tests' own
    // process.env: the commands a test starts keep the real environment.
    this.global.process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  }

  hold() {
    if (this.held) return;
    const stdout = process.stdout;
    this.held = [];
    const realWrite = stdout.write;
    this.realWrite = realWrite;
    // A wrapper left installed (a test start without its end, another file's environment restoring
    // in between) writes straight through once nothing is held, instead of failing the write.
    const wrapper = (chunk, encoding, callback) => {
      if (!this.held) return realWrite.call(stdout, chunk, encoding, callback);
      this.held.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done);
      return true;
    };
    this.wrapper = wrapper;
    stdout.write = wrapper;
  }

  /** Stops holding; the held text goes to stderr when the test failed, otherwise nowhere. */
  release(failedTestName) {
    if (!this.held) return;
    if (process.stdout.write === this.wrapper) process.stdout.write = this.realWrite;
    const text = this.held.join('');
    this.held = null;
    if (failedTestName && text) {
      process.stderr.write(`\n--- stdout of the failed test "${failedTestName}" ---\n${text}--- end of its stdout ---\n`);
    }
  }

  async handleTestEvent(event) {
    if (event.name === 'test_start') this.hold();
    if (event.name === 'test_done') {
      const failed = event.test.errors.length > 0;
      this.release(failed ? fullName(event.test) : null);
    }
  }

  async teardown() {
    this.release(null);
    await super.teardown();
  }
}

function fullName(test) {
  const names = [];
  for (let t = test; t && t.name !== 'ROOT_DESCRIBE_BLOCK'; t = t.parent) names.unshift(t.name);
  return names.join(' › ');
}

module.exports = QuietEnvironment;
