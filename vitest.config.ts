import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // End-to-end tests run dist/: rebuilt first whenever src/ is newer.
    globalSetup: ['test/build.global.ts'],
  },
});
