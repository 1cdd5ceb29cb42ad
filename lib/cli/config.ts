// The command line's options: every entry of the library's option tables
// becomes a flag and a config-file key of the same name (camelCase of the
// flag), next to the application's own options (data, epochs, the ablation
// grid). Flags override the --config file; both are checked by the tables'
// rules, so an error names the flag or key and says what is valid. Each
// command's own defaults (defaults.ts) sit on its flags, for --help and the
// docs, and withCommandDefaults fills them into a run's options.
import { Command, Option } from 'commander';
import * as fs from 'fs';
import { z } from 'zod';
import {
  ARCHS, ATTENTIONS, ATTENTION_ALIASES, Arch, CliOption, OptionError, OptionTable, PRESET_DEFINITIONS, PresetName, adamwOptionTable, cliOptions,
  derived, describe, distributedOptionTable, evaluateOptionTable, exportOnnxOptionTable, helpWithDefault, isDerived, modelOptionTable, parseFlagValue,
  presetNamed, rules, scheduleOptionTable, setPath, sgdOptionTable, trainOptionTable, withDefaults,
} from '../options';
import { ABLATE_COMMAND_DEFAULTS, CommandDefaults, EVAL_COMMAND_DEFAULTS, EXPORT_COMMAND_DEFAULTS, TRAIN_COMMAND_DEFAULTS } from './defaults';

/** Options of the application itself (not of a library call). */
export interface AppOptions {
  weights?: string;
  onnx?: string;
  data?: string;
  testData?: string;
  augment?: boolean;
  imageSize?: number;
  epochs?: number;
  archs?: Arch[];
  attentions?: string[];
  seeds?: number[];
  nproc?: number;
  nnodes?: number;
  nodeRank?: number;
  /** ablate: seconds without a heartbeat after which other runs take over this run's cell. */
  claimTimeout?: number;
}

const attentionNames = [...ATTENTIONS, ...Object.keys(ATTENTION_ALIASES)];

export const appOptionTable: OptionTable<AppOptions> = {
  weights: { rule: rules.text('a safetensors file'), help: 'eval, export: the weights (a file written by senet-lab)' },
  onnx: { rule: rules.text('a file path'), help: 'export: the ONNX file to write' },
  data: { rule: rules.text(), help: 'fashion-mnist | idx:DIR | cifar10:DIR | cifar100:DIR | imagefolder:ROOT[:TEST_ROOT] | tiny-imagenet:DIR' },
  testData: { rule: rules.text(), help: 'evaluate on this dataset\'s test split instead of --data\'s' },
  augment: { rule: rules.boolean(), default: true, help: 'training augmentation (crop + flip)' },
  imageSize: { rule: rules.integer(1, 4096), help: 'image side for imagefolder / tiny-imagenet' },
  epochs: { rule: rules.number('a number > 0', (v) => v > 0), help: 'training length in epochs (instead of --iterations)' },
  archs: {
    rule: rules.custom('numbers', ARCHS.join(' | '), (v) => Array.isArray(v) && v.length > 0 && v.every((a) => (ARCHS as readonly unknown[]).includes(a)),
      (v) => `must be a comma-separated list of ${ARCHS.join(', ')}, got ${JSON.stringify(v)}`),
    help: 'comma-separated archs',
  },
  attentions: {
    rule: rules.custom('numbers', attentionNames.join(' | '), (v) => Array.isArray(v) && v.length > 0 && v.every((a) => attentionNames.includes(a as string)),
      (v) => `must be a comma-separated list of ${attentionNames.join(', ')}, got ${JSON.stringify(v)}`),
    help: 'comma-separated attention names',
  },
  seeds: { rule: rules.numbers(rules.integer(0), 'a comma-separated list of integers >= 0'), help: 'comma-separated seeds' },
  nproc: { rule: rules.integer(1, 1024), help: 'data-parallel worker processes on this machine (as torchrun --nproc-per-node)' },
  nnodes: { rule: rules.integer(1, 65536), help: 'machines taking part (each runs the same command with its --node-rank)' },
  nodeRank: { rule: rules.integer(0), help: 'this machine\'s index, 0 … nnodes − 1 (machine 0 hosts rank 0)' },
  claimTimeout: {
    rule: rules.number('a number of seconds > 0', (v) => v > 0),
    help: 'seconds without a heartbeat after which other runs take over this run\'s cell (refreshed every tenth of it)',
  },
};

/**
 * The optimizer flags: both optimizers' fields, with --optimizer choosing between them. A field both have with
 * different defaults (weight decay) shows each optimizer's.
 */
const optimizerFlags = cliOptions(
  { ...sgdOptionTable, ...adamwOptionTable, type: { ...sgdOptionTable.type, rule: rules.oneOf(['sgd', 'adamw'] as const) } },
  ['train', 'optimizer'],
).map((o): CliOption => {
  const [sgd, adamw] = [sgdOptionTable, adamwOptionTable].map((t) => (t as Record<string, { default?: unknown } | undefined>)[o.target[2]]?.default);
  if (o.name === 'optimizer' || sgd === undefined || adamw === undefined || describe(sgd) === describe(adamw)) return o;
  // Shown only (its `of` gives nothing to fill): the library applies the chosen optimizer's default itself.
  return { ...o, default: derived(`${describe(sgd)} (sgd), ${describe(adamw)} (adamw)`, () => undefined) };
});

function unique(options: CliOption[]): CliOption[] {
  const seen = new Set<string>();
  return options.filter((o) => !seen.has(o.name) && seen.add(o.name));
}

const omit = (options: CliOption[], names: string[]): CliOption[] => options.filter((o) => !names.includes(o.name));

const app = cliOptions(appOptionTable, ['app']);
const model = cliOptions(modelOptionTable, ['model']);
const trainScalars = cliOptions(trainOptionTable, ['train']);
const schedule = cliOptions(scheduleOptionTable, ['train', 'schedule']);
const distributed = cliOptions(distributedOptionTable, ['train', 'distributed']);
const preset = cliOptions({
  preset: {
    rule: rules.oneOf(Object.keys(PRESET_DEFINITIONS) as PresetName[]),
    help: `start from a recipe (its model, training settings and data); other flags override it. ${
      Object.entries(PRESET_DEFINITIONS).map(([name, p]) => `${name}: ${p.summary}`).join('. ')}`,
  },
}, ['train']);

const commandFlags = (flags: CliOption[], defaults: CommandDefaults): CliOption[] => withDefaults(unique(flags), { ...defaults.run, ...defaults.recipe });

/** Flags of `senet-lab train`. */
export const TRAIN_FLAGS = commandFlags([
  ...omit(app, ['weights', 'onnx', 'archs', 'attentions', 'seeds', 'claimTimeout']), ...model, ...preset, ...trainScalars, ...optimizerFlags, ...schedule,
  ...distributed,
], TRAIN_COMMAND_DEFAULTS);
/** Flags of `senet-lab ablate`: the grid instead of one arch/attention, no --resume (cells resume themselves). */
export const ABLATE_FLAGS = commandFlags([
  ...omit(app, ['weights', 'onnx', 'nnodes', 'nodeRank']), ...omit(model, ['arch', 'attention']), ...preset, ...omit(trainScalars, ['resume']),
  ...optimizerFlags, ...schedule, ...omit(distributed, ['masterAddr', 'masterPort']),
], ABLATE_COMMAND_DEFAULTS);
/** Flags of `senet-lab eval`: the weights, the data, and evaluate()'s options. */
export const EVAL_FLAGS = commandFlags([
  ...app.filter((o) => ['weights', 'data', 'imageSize'].includes(o.name)), ...model.filter((o) => o.name === 'device'),
  ...cliOptions(evaluateOptionTable, ['evaluate']),
], EVAL_COMMAND_DEFAULTS);
/** Flags of `senet-lab export`: the weights, the ONNX file, and exportOnnx()'s options. */
export const EXPORT_FLAGS = commandFlags([
  ...app.filter((o) => ['weights', 'onnx'].includes(o.name)), ...cliOptions(exportOnnxOptionTable, ['export']),
], EXPORT_COMMAND_DEFAULTS);

/** The config-file schema of a command: every flag's key, checked by the flag's rule. */
export function configSchema(flags: CliOption[]): z.ZodObject<Record<string, z.ZodTypeAny>> {
  return z.object(Object.fromEntries(flags.map((o) => [o.name, o.rule.schema.optional()]))).strict();
}

/** Registers `flags` on a command, plus --config and --verbose. */
export function addFlags(command: Command, flags: CliOption[]): Command {
  command.option('--config <file>', 'JSON file with any of these options, keys in camelCase (flags override it)');
  for (const o of flags) {
    for (const flag of o.flags) command.addOption(new Option(flag, helpWithDefault(o)));
  }
  return command.option('--verbose', 'print stacks on errors');
}

/** A command line's options, grouped by where they go. */
export interface RunConfig {
  app: AppOptions;
  model: Record<string, unknown>;
  train: Record<string, unknown>;
  /** eval only: evaluate()'s options. */
  evaluate?: Record<string, unknown>;
  /** export only: exportOnnx()'s options. */
  export?: Record<string, unknown>;
}

export function readConfigFile(file: string, schema: ReturnType<typeof configSchema>): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new OptionError('config', `cannot read ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new OptionError('config', `${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    throw new OptionError(issue.keys.join(', '), `unknown key in ${file}; valid: ${Object.keys(schema.shape).join(', ')}`);
  }
  throw new OptionError(issue.path.join('.') || 'config', `${issue.message} (in ${file})`);
}

/** The inverse of runConfig: a grouped config as flat config-file keys (for a child command's --config). */
export function flatConfig(config: RunConfig, flags: CliOption[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of flags) {
    let value: unknown = config;
    for (const key of o.target) value = (value as Record<string, unknown> | undefined)?.[key];
    if (value !== undefined) out[o.name] = value;
  }
  return out;
}

/** The --config file, overridden by the flags given on the command line, grouped by target. */
export function runConfig(command: Command, flags: CliOption[]): RunConfig {
  const values = command.opts();
  const flat: Record<string, unknown> = typeof values.config === 'string' ? readConfigFile(values.config, configSchema(flags)) : {};
  for (const o of flags) {
    // Only what the user typed counts: a --no-x flag's implicit default must not override the config file.
    if (command.getOptionValueSource(o.name) !== 'cli') continue;
    const value = parseFlagValue(o, values[o.name]);
    const parsed = o.rule.schema.safeParse(value);
    if (!parsed.success) throw new OptionError(o.name, parsed.error.issues[0].message);
    flat[o.name] = value; // as typed (an attention alias stays the name the user chose)
  }
  const out: Record<string, unknown> = { app: {}, model: {}, train: {} };
  for (const o of flags) {
    if (flat[o.name] !== undefined) setPath(out, o.target, flat[o.name]);
  }
  return out as unknown as RunConfig;
}

/**
 * `config` with the command's own defaults filled in where the command line and --config leave an option unset:
 * the command's `run` defaults and the application table's (--augment), and its `recipe` unless the run has a
 * --preset (which brings its own) or continues a checkpoint (which has its own). A preset's data comes before the
 * command's. `derived` false fills the constants, true the derived defaults (iterations / 20), from the options as
 * they are by then and from `context` (what the command knows besides its options, such as the data's channels):
 * call it once the iterations and the data are known (after --epochs). `fromCheckpoint`: whether the run
 * continues a checkpoint it has read (default: whenever it has --resume); a data-parallel process that cannot see
 * the resumed directory reads none, and takes the recipe like a new run.
 */
export function withCommandDefaults(
  config: RunConfig, flags: CliOption[], defaults: CommandDefaults,
  options: { derived: boolean; fromCheckpoint?: boolean; context?: Readonly<Record<string, unknown>> },
): RunConfig {
  const flat = flatConfig(config, flags);
  const recipe = config.train.preset === undefined && !(options.fromCheckpoint ?? config.train.resume !== undefined);
  const appDefaults = Object.fromEntries(flags.filter((o) => o.target[0] === 'app' && o.default !== undefined).map((o) => [o.name, o.default]));
  const presetData = config.train.preset === undefined ? undefined : presetNamed(config.train.preset).data;
  const values: Record<string, unknown> = {
    ...appDefaults, ...defaults.run, ...(presetData && { data: presetData.spec, augment: presetData.augment }), ...(recipe && defaults.recipe),
  };
  const recipeOptimizer = defaults.recipe.optimizer;
  const optimizerChosen = flat.optimizer !== undefined && flat.optimizer !== recipeOptimizer;
  const out = structuredClone(config);
  for (const o of flags) {
    const value = values[o.name];
    if (value === undefined || flat[o.name] !== undefined || isDerived(value) !== options.derived) continue;
    // The recipe's optimizer fields are its optimizer's: another --optimizer starts from that one's defaults.
    if (recipe && o.target[1] === 'optimizer' && o.name !== 'optimizer' && optimizerChosen && o.name in defaults.recipe) continue;
    const filled = isDerived(value) ? value.of((name) => flat[name] ?? options.context?.[name]) : value;
    if (filled === undefined) continue;
    flat[o.name] = filled;
    setPath(out as unknown as Record<string, unknown>, o.target, filled);
  }
  return out;
}
