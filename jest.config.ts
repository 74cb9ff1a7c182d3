import type { Config } from 'jest';

const config: Config = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // Integration suites spawn the bundle and servers; give them room.
  testTimeout: 120_000,
  maxWorkers: 2,
};

export default config;
