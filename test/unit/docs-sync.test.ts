// The generated docs match their sources: docs/options.md (the option tables
// and CLI flags, from lib/ as it is now), docs/benchmarks.md
// (bench/results/*.json) and docs/api.md (TypeDoc over lib/index.ts, a few
// seconds). On a failure: `npm run docs`, then commit the result.
import * as fs from 'fs';
import * as path from 'path';
import * as options from '../../lib/options';
import * as config from '../../lib/cli/config';
/* eslint-disable @typescript-eslint/no-var-requires */
const { optionsMarkdown } = require('../../scripts/docs/options-md') as { optionsMarkdown: (o: unknown, c: unknown) => string };
const { benchmarksMarkdown } = require('../../scripts/docs/benchmarks-md') as { benchmarksMarkdown: (dir: string) => string };
const { apiMarkdown } = require('../../scripts/docs') as { apiMarkdown: () => string };

const root = path.join(__dirname, '..', '..');
const committed = (name: string): string => fs.readFileSync(path.join(root, 'docs', name), 'utf8');

test('docs/options.md is generated from the current option tables', () => {
  expect(committed('options.md')).toBe(optionsMarkdown(options, config));
});

test('docs/benchmarks.md is generated from bench/results', () => {
  expect(committed('benchmarks.md')).toBe(benchmarksMarkdown(path.join(root, 'bench', 'results')));
});

test('docs/api.md is what TypeDoc makes of the current TSDoc', () => {
  expect(committed('api.md')).toBe(apiMarkdown());
});
