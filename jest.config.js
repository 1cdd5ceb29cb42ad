// Three tiers, one jest project each; `npm test` runs all three (CI), `npm run
// test:<tier>` one. CONTRIBUTING.md ("Tests") says which to run while working
// and what each costs.
//   unit     pure TypeScript (option tables, config schema, data specs,
//            statistics, report model); no addon, seconds.
//   addon    everything else that loads the addon or runs native code: parity
//            with PyTorch, models, data, training, the CLI, the native test
//            executables; minutes. A new test/*.test.ts lands here.
//   release  soak and slow suites listed in RELEASE: the npm package build, the
//            memory loops, the kill loop, the fuzz and benchmark smokes, and the
//            CUDA step paths run through whole training runs (accel: dozens of
//            fsync'd checkpoints; the strategies themselves are checked in
//            seconds by test/native/core in the addon tier) and bf16 on CPU
//            (its seed-spread check trains a set of fp32 and bf16 runs).
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }] };

// test/<name>.test.ts files of the release tier.
const RELEASE = ['package', 'memory', 'crash-safety', 'fuzz', 'bench', 'accel', 'bf16-cpu'];
const releasePath = (name) => `<rootDir>/test/${name}.test.ts`;

// Every suite of the addon and release tiers loads the test addon (the
// product's exports plus test hooks).
const addonSuite = {
  testEnvironment: 'node',
  transform,
  setupFiles: ['<rootDir>/test/helpers/use-test-addon.js'],
};

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
      ...addonSuite,
      displayName: 'addon',
      testMatch: ['<rootDir>/test/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...RELEASE.map((name) => `/test/${name}\\.test\\.ts$`)],
    },
    {
      ...addonSuite,
      displayName: 'release',
      testMatch: RELEASE.map(releasePath),
    },
  ],
};
