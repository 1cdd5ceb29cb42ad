// Two tiers: `unit` (pure TypeScript — option tables, config schema, data
// specs, statistics, report model; no addon, seconds) and `full` (the addon,
// PyTorch parity, the CLI, packaging). `npm test` runs both; `npm run
// test:unit` the first.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }] };

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 600000,
  verbose: true,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      transform,
      // Loading the addon here is a bug in the test: make it fail loudly.
      setupFiles: ['<rootDir>/test/unit/no-addon.js'],
    },
    {
      displayName: 'full',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/*.test.ts'],
      transform,
      // Every suite loads the test addon (the product's exports plus test hooks).
      setupFiles: ['<rootDir>/test/helpers/use-test-addon.js'],
    },
  ],
};
