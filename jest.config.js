// One jest run covers unit tests (pure parts, the fake EC2) and integration tests that start real
// parts themselves (sshd on loopback, network namespaces): the README's test command.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  // Integration tests own network namespaces and servers; running two files that both touch the
  // host's iptables at once would make failures depend on scheduling.
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
  testTimeout: 60_000,
};
