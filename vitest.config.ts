import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: real proxies, simulators and TLS handshakes in every file; more workers only contend.
    maxWorkers: 2,
    pool: 'forks',
  },
});
