// Every option check of the library in one place: the error type, the
// wording, and the rules (zod schemas) the option tables are made of. A
// message always names the field, says what is valid and shows what was given.
import { z } from 'zod';

/** An invalid option: `field` names it (dotted for nested options, e.g. `optimizer.lr`). */
export class OptionError extends TypeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'OptionError';
  }
}

/** A value as a user would write it: strings quoted, everything else as JSON. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value); // JSON would say null
  return JSON.stringify(value) ?? String(value);
}

/**
 * A rule for one option's value: the zod schema that checks it, what kind of
 * value it is (the CLI parses flags by kind) and how to say what is valid.
 */
export interface Rule<T> {
  schema: z.ZodType<T, z.ZodTypeDef, unknown>;
  kind: 'integer' | 'number' | 'boolean' | 'string' | 'enum' | 'numbers' | 'object';
  /** For enums: the valid values. */
  values?: readonly string[];
  /** What is valid, for docs and --help ("an integer >= 1"). */
  valid: string;
}

/** A zod schema whose failure message is `message(value)`. */
function schemaOf<T>(accept: (v: unknown) => boolean, message: (v: unknown) => string): z.ZodType<T, z.ZodTypeDef, unknown> {
  return z.custom<T>(accept, (v: unknown) => ({ message: message(v) })) as z.ZodType<T, z.ZodTypeDef, unknown>;
}

function rangeText(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
}

export const rules = {
  /** An integer in [min, max]. */
  integer(min: number, max = Number.MAX_SAFE_INTEGER): Rule<number> {
    const valid = `an integer ${rangeText(min, max)}`;
    const ok = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
    return { schema: schemaOf<number>(ok, (v) => `must be ${valid}, got ${describe(v)}`), kind: 'integer', valid };
  },
  /** A finite number that passes `check`; `valid` says which ("a number > 0", "in [0, 1]"). */
  number(valid: string, check: (v: number) => boolean): Rule<number> {
    const ok = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && check(v);
    return { schema: schemaOf<number>(ok, (v) => `must be ${valid}, got ${describe(v)}`), kind: 'number', valid };
  },
  boolean(): Rule<boolean> {
    const ok = (v: unknown): boolean => typeof v === 'boolean';
    return { schema: schemaOf<boolean>(ok, (v) => `must be true or false, got ${describe(v)}`), kind: 'boolean', valid: 'true or false' };
  },
  /** One of `values` (or of `aliases`, which the message lists after `extra`). */
  oneOf<T extends string>(values: readonly T[], extra = '', aliases: readonly string[] = []): Rule<T> {
    const ok = (v: unknown): boolean => typeof v === 'string' && ([...values, ...aliases] as string[]).includes(v);
    return {
      schema: schemaOf<T>(ok, (v) => `unknown value ${describe(v)}; valid: ${values.join(', ')}${extra}`),
      kind: 'enum',
      values,
      valid: values.join(' | '),
    };
  },
  /** Any other rule: `accept` decides, `message` explains a rejected value. */
  custom<T>(kind: Rule<T>['kind'], valid: string, accept: (v: unknown) => boolean, message: (v: unknown) => string, values?: readonly string[]): Rule<T> {
    return { schema: schemaOf<T>(accept, message), kind, valid, values };
  },
  /** A non-empty string (paths, addresses). */
  text(valid = 'a non-empty string'): Rule<string> {
    const ok = (v: unknown): boolean => typeof v === 'string' && v.length > 0;
    return { schema: schemaOf<string>(ok, (v) => `must be ${valid}, got ${describe(v)}`), kind: 'string', valid };
  },
  /** An array of numbers, each passing `item`; `length` fixes the count. */
  numbers(item: Rule<number>, valid: string, length?: number): Rule<number[]> {
    const ok = (v: unknown): boolean =>
      Array.isArray(v) && (length === undefined ? v.length > 0 : v.length === length) && v.every((x) => item.schema.safeParse(x).success);
    return { schema: schemaOf<number[]>(ok, (v) => `must be ${valid}, got ${describe(v)}`), kind: 'numbers', valid };
  },
};

/** Checks `value` against `rule`; throws an OptionError naming `field`. */
export function check<T>(field: string, rule: Rule<T>, value: unknown): T {
  const parsed = rule.schema.safeParse(value);
  if (!parsed.success) throw new OptionError(field, parsed.error.issues[0].message);
  return parsed.data;
}

/** A string of `valid`; `extra` adds to the list in the message. */
export function oneOf<T extends string>(field: string, value: unknown, valid: readonly T[], extra = ''): T {
  return check(field, rules.oneOf(valid, extra), value);
}

/** An integer in [min, max]. */
export function integerIn(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return check(field, rules.integer(min, max), value);
}

/** true or false. */
export function booleanField(field: string, value: unknown): boolean {
  return check(field, rules.boolean(), value);
}

/** `o` without its undefined fields, so spreading it over defaults keeps them. */
export function definedFields<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Throws for a key of `value` that is not in `keys`. `prefix` is the parent field ("optimizer."). */
export function knownKeys(prefix: string, value: object, keys: readonly string[], what = 'option'): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new OptionError(`${prefix}${key}`, `unknown ${what}; valid: ${keys.join(', ')}`);
  }
}

/** A plain object (not null, not an array), or an OptionError saying what was expected. */
export function objectField(field: string, value: unknown, example: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionError(field, `must be an object like ${example}, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}
