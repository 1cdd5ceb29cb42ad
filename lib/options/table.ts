// Option tables: one per concept (model, training, optimizer, schedule,
// distributed, ...). Each entry gives an option's rule, default, one-line
// help and command-line spelling; the library's validation, the CLI's flags
// and the config-file schema are all derived from these tables, so adding an
// option is one entry here (plus the native struct field and the code that
// uses it — see CONTRIBUTING.md).
import { Rule, check, describe, knownKeys } from './validate';

export interface OptionSpec<T> {
  rule: Rule<T>;
  /** The value when the option is omitted; without one the option stays unset. */
  default?: T;
  /** One line for --help and the docs. */
  help: string;
  /**
   * Command-line flag name (kebab-case, without dashes). Default: the key in kebab-case.
   * false: not a flag (set through the API or --config only).
   */
  flag?: string | false;
}

/** A table for the option interface `I`: exactly one entry per key (checked by the compiler). */
export type OptionTable<I> = { readonly [K in keyof I]-?: OptionSpec<Exclude<I[K], undefined>> };

/**
 * Fills defaults and checks each field of `input` against `table`; unknown
 * keys are errors. `prefix` is the parent field for messages ("optimizer.").
 * The result has every key that has a default or was given.
 */
export function resolveTable<I>(table: OptionTable<I>, input: object, prefix = '', what = 'option'): I {
  const raw = input as Record<string, unknown>;
  knownKeys(prefix, raw, Object.keys(table), what);
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table) as [string, OptionSpec<unknown>][]) {
    const value = raw[key] === undefined ? spec.default : raw[key];
    if (value !== undefined) out[key] = check(`${prefix}${key}`, spec.rule, value);
  }
  return out as I;
}

/** The table's defaults as an object (options without a default are left out). */
export function defaultsOf<I>(table: OptionTable<I>): Partial<I> {
  const entries = Object.entries(table) as [string, OptionSpec<unknown>][];
  return Object.fromEntries(entries.filter(([, spec]) => spec.default !== undefined).map(([key, spec]) => [key, spec.default])) as Partial<I>;
}

/** A command-line option derived from a table entry. */
export interface CliOption {
  /** The config-file key, and commander's attribute name: camelCase of the flag. */
  name: string;
  /** commander's flag syntax, e.g. `--batch-size <n>` or `--no-shuffle`. */
  flags: string[];
  help: string;
  rule: Rule<unknown>;
  /** Where the value goes in the options object, e.g. ['optimizer', 'lr']. */
  target: string[];
  /**
   * The value the option takes when the flag is not given: the table's default, or the command's own (see
   * withDefaults) — a constant or a DerivedDefault. Absent: the option stays unset.
   */
  default?: unknown;
  /** The default is the command's own: the command fills it in (the library would use the table's). */
  commandDefault?: boolean;
}

/**
 * A default computed from the run's other options, e.g. a warmup of iterations / 20: `text` is what --help and
 * the docs show; `of` reads the other options by config key and returns the value (undefined: leave it unset).
 */
export interface DerivedDefault {
  readonly text: string;
  readonly of: (option: (name: string) => unknown) => unknown;
}

export function derived(text: string, of: DerivedDefault['of']): DerivedDefault {
  return { text, of };
}

export function isDerived(value: unknown): value is DerivedDefault {
  return typeof value === 'object' && value !== null && typeof (value as DerivedDefault).of === 'function' && typeof (value as DerivedDefault).text === 'string';
}

/** A flag's default as it would be typed, for --help and the docs: '64', 'cosine', '1,2,3', 'iterations / 20'; undefined without one. */
export function defaultText(option: CliOption): string | undefined {
  const value = option.default;
  if (value === undefined) return undefined;
  if (isDerived(value)) return value.text;
  if (typeof value === 'string') return value;
  return Array.isArray(value) ? value.join(',') : describe(value);
}

/** A flag's help line for --help: the help, and its default unless a boolean flag's spelling already says it. */
export function helpWithDefault(option: CliOption): string {
  const text = defaultText(option);
  return text === undefined || option.rule.kind === 'boolean' ? option.help : `${option.help} (default: ${text})`;
}

/**
 * A command's flags with the command's own defaults (by config key) in place of the tables'. A key that names no
 * flag, or a constant its flag's rule refuses, is a programming error and throws here, when the command is defined.
 */
export function withDefaults(flags: CliOption[], defaults: Readonly<Record<string, unknown>>): CliOption[] {
  for (const [name, value] of Object.entries(defaults)) {
    const flag = flags.find((o) => o.name === name);
    if (!flag) throw new Error(`command default '${name}' names no flag of the command; flags: ${flags.map((o) => o.name).join(', ')}`);
    const parsed = isDerived(value) ? undefined : flag.rule.schema.safeParse(value);
    if (parsed && !parsed.success) throw new Error(`command default ${name}: ${parsed.error.issues[0].message}`);
  }
  return flags.map((o) => (defaults[o.name] === undefined ? o : { ...o, default: defaults[o.name], commandDefault: true }));
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function placeholder(rule: Rule<unknown>): string {
  switch (rule.kind) {
    case 'integer':
      return '<n>';
    case 'number':
      return '<x>';
    case 'numbers':
      return '<list>';
    case 'enum':
      return '<name>';
    default:
      return '<value>';
  }
}

/**
 * The CLI options of a table; `target` is where the table sits in the options
 * object (['optimizer'] for the optimizer's fields). A boolean that defaults to
 * true becomes `--no-x`, one without a default both `--x` and `--no-x`.
 */
export function cliOptions<I>(table: OptionTable<I>, target: string[] = []): CliOption[] {
  const out: CliOption[] = [];
  for (const [key, spec] of Object.entries(table) as [string, OptionSpec<unknown>][]) {
    if (spec.flag === false) continue;
    const name = spec.flag ? camel(spec.flag) : key;
    const long = spec.flag ?? kebab(key);
    const valid = spec.rule.kind === 'enum' && !spec.help.includes('|') ? ` (${spec.rule.valid})` : '';
    const option = (flags: string[], help: string): number =>
      out.push({ name, flags, help, rule: spec.rule, target: [...target, key], ...(spec.default === undefined ? {} : { default: spec.default }) });
    if (spec.rule.kind !== 'boolean') option([`--${long} ${placeholder(spec.rule)}`], `${spec.help}${valid}`);
    else if (spec.default === true) option([`--no-${long}`], `off: ${spec.help} (on by default)`);
    else if (spec.default === false) option([`--${long}`], spec.help);
    else option([`--${long}`, `--no-${long}`], `${spec.help}; --no-${long} to turn it off`);
  }
  return out;
}

/** Converts a flag's string to the value its rule expects; the rule checks it afterwards. */
export function parseFlagValue(option: CliOption, text: unknown): unknown {
  if (typeof text !== 'string') return text; // booleans from --x / --no-x
  switch (option.rule.kind) {
    case 'integer':
    case 'number': {
      const n = Number(text);
      return text.trim() === '' || Number.isNaN(n) ? text : n;
    }
    case 'numbers':
      return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (Number.isNaN(Number(s)) ? s : Number(s)));
    default:
      return text;
  }
}

/** Sets `value` at `path` in `target`, creating the objects on the way. */
export function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (node[key] === undefined) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** A table as documentation rows: option, valid values, default, help. */
export function tableRows<I>(table: OptionTable<I>, prefix = ''): string[][] {
  return (Object.entries(table) as [string, OptionSpec<unknown>][]).map(([key, spec]) => [
    `${prefix}${key}`,
    spec.rule.valid,
    spec.default === undefined ? '—' : describe(spec.default),
    spec.help,
  ]);
}
