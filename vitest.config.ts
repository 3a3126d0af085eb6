import { defineConfig } from 'vitest/config';

// Tests read each package's src through the "source" export condition, so no build is needed.
const conditions = ['source', 'import', 'node', 'default'];
const shared = {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
};

export default defineConfig({
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'wasm',
          include: ['packages/*/src/**/*.test.ts', 'experiments/src/**/*.test.ts'],
          setupFiles: ['./tools/test-setup.ts'],
          env: { MODALAB_BACKEND: 'wasm' },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        ...shared,
        // A smaller set also runs on the pure-JS cpu backend: the numerics must not depend on wasm.
        test: {
          name: 'cpu',
          include: ['packages/core/src/{layers,losses}/**/*.test.ts', 'packages/eval/src/retrieval/**/*.test.ts'],
          setupFiles: ['./tools/test-setup.ts'],
          env: { MODALAB_BACKEND: 'cpu' },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
