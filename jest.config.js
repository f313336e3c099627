// One jest run covers unit tests (pure parts, the fake EC2) and integration tests that start real
// parts themselves (sshd on loopback, network namespaces): the README's test command.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  // One file at a time: integration tests own network namespaces, nftables tables and the emulated
  // VPC's single host link (203.0.113.0/24 on the host); two at once would make results depend on
  // scheduling. Unit files are fast enough serially (transpile-only, see tsconfig.jest.json).
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 1,
  testTimeout: 60_000,
};
