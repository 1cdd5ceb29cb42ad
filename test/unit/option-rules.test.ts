// Every rule of every option table: the default passes its own rule, and a
// wrong value fails with an OptionError that names the field (with its
// parent, e.g. `optimizer.lr`) and says what is valid.
import * as options from '../../lib/options';
import { appOptionTable } from '../../lib/cli/config';
import { OptionError, OptionSpec, OptionTable, resolveTable } from '../../lib/options';

const tables = Object.entries({ ...options, appOptionTable })
  .filter(([name]) => name.endsWith('OptionTable'))
  .map(([name, table]) => [name, table as OptionTable<Record<string, unknown>>] as const);

/**
 * Known gaps in the wording, each a defect to fix in lib/: the test fails once
 * one is fixed, so the entry is removed with the fix and cannot go stale.
 */
const KNOWN_GAPS: Record<string, string> = {};

/** Does `message` say what is valid: every allowed value, or every part of the rule's `valid` text? */
function saysWhatIsValid(message: string, spec: OptionSpec<unknown>): boolean {
  const parts = spec.rule.values ?? spec.rule.valid.split(' | ');
  return parts.every((v) => message.includes(String(v)));
}

/** A value no rule accepts: an object for scalar rules, a string for everything else. */
const WRONG: unknown[] = [{ wrong: true }, 'not-a-valid-value', -1.5];

function failure(table: OptionTable<Record<string, unknown>>, key: string, value: unknown): OptionError | undefined {
  try {
    resolveTable(table, { [key]: value }, 'parent.');
  } catch (error) {
    return error as OptionError;
  }
  return undefined;
}

test('the tables are found (a renamed export would silently empty this suite)', () => {
  expect(tables.map(([name]) => name).sort()).toEqual(expect.arrayContaining([
    'adamwOptionTable', 'appOptionTable', 'evaluateOptionTable', 'modelOptionTable', 'predictOptionTable', 'scheduleOptionTable',
    'sgdOptionTable', 'shardOptionTable', 'trainOptionTable',
  ]));
});

describe.each(tables)('%s', (name, table) => {
  const entries = Object.entries(table) as [string, OptionSpec<unknown>][];

  test.each(entries.filter(([, s]) => s.default !== undefined))('%s: its default passes its rule', (key, spec) => {
    expect(resolveTable(table, {})[key]).toEqual(spec.default);
    expect(spec.rule.schema.safeParse(spec.default).success).toBe(true);
  });

  test.each(entries)('%s: a wrong value is an OptionError naming the field and what is valid', (key, spec) => {
    const errors = WRONG.map((value) => failure(table, key, value)).filter((e): e is OptionError => e !== undefined);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error).toBeInstanceOf(OptionError);
      expect(error.field).toBe(`parent.${key}`);
      expect(error.message.startsWith(`parent.${key}: `)).toBe(true);
    }
    const unclear = errors.filter((e) => !saysWhatIsValid(e.message, spec)).map((e) => e.message);
    if (KNOWN_GAPS[`${name}.${key}`]) expect(unclear.length).toBeGreaterThan(0); // fixed? remove it from KNOWN_GAPS
    else expect(unclear).toEqual([]);
  });

  test('an unknown key names itself and lists the valid keys', () => {
    expect(() => resolveTable(table, { noSuchOption: 1 }, 'parent.')).toThrow(
      new OptionError('parent.noSuchOption', `unknown option; valid: ${Object.keys(table).join(', ')}`),
    );
  });
});
