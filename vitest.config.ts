import { defineConfig } from 'vitest/config';

// 'mechlens-source' makes workspace packages resolve to their TypeScript sources (see each package's
// "exports"), so tests never run against stale dist/ builds.
const conditions = ['mechlens-source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['mechlens-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
