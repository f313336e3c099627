// One jest run covers unit tests (pure parts, the fake EC2) and integration tests that start real
// parts themselves (sshd on loopback, network namespaces): the README's test command.
module.exports = {
  // Node's environment, with what the @actions libraries print on stdout (::debug:: lines, retry
  // messages) held per test and shown only when that test fails. A project needs this line too.
  testEnvironment: '<rootDir>/scripts/jest-quiet-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  // One file at a time: integration tests own network namespaces, nftables tables and the emulated
  // VPC's single host link (203.0.113.0/24 on the host); two at once would make results depend on
  // scheduling. Unit files are fast enough serially (transpile-only, see tsconfig.jest.json).
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 1,
  testTimeout: 60_000,
  // Before any test: the host tools are there (npm test installs them as root) or the run stops
  // at once saying the one command that installs them.
  globalSetup: '<rootDir>/scripts/jest-host-tools.js',
  // After jest's own summary: every skipped test with why it was skipped and how to run it.
  // While OOA_JEST_PROGRESS names a file (.ci/run): each test file's start and end, as they happen.
  reporters: [
    'default',
    '<rootDir>/scripts/jest-skip-reporter.js',
    ...(process.env.OOA_JEST_PROGRESS ? ['<rootDir>/scripts/jest-progress-reporter.js'] : []),
  ],
};
