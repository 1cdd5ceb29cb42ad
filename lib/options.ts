// Model options: the public types and their validation. Validation happens
// here, before any native work, so a mistake is reported with the field's
// name and the valid values.

export const ARCHS = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'] as const;
export const STEMS = ['imagenet', 'cifar'] as const;
export const ATTENTIONS = ['none', 'se', 'avgmax-mul', 'avgmax-add', 'dual-mul', 'dual-add', 'cbam', 'eca'] as const;

export type Arch = (typeof ARCHS)[number];
export type Stem = (typeof STEMS)[number];
export type Attention = (typeof ATTENTIONS)[number];

/** The seed paper's names for the same blocks. */
export const ATTENTION_ALIASES = {
  original: 'none',
  senet: 'se',
  model0: 'se',
  model1: 'avgmax-mul',
  model2: 'avgmax-add',
  model3: 'dual-mul',
  model4: 'dual-add',
} as const satisfies Record<string, Attention>;

export type AttentionAlias = keyof typeof ATTENTION_ALIASES;

export interface ModelOptions {
  /** Backbone depth, torchvision's structure. Default `resnet18`. */
  arch?: Arch;
  /** `imagenet`: 7×7/2 conv + 3×3/2 max-pool; `cifar`: 3×3/1 conv, no pool (small images). Default `imagenet`. */
  stem?: Stem;
  /** Channel attention after the last BN of every residual branch. Default `none`. */
  attention?: Attention | AttentionAlias;
  /** Input channels (1 for grayscale). Default 3. */
  inChannels?: number;
  /** Output logits. Default 1000. */
  numClasses?: number;
  /** Attention MLP reduction r: hidden width max(1, ⌊C/r⌋). Default 16. */
  reduction?: number;
  /** Zero the last BN weight of each residual branch (torchvision's option). Default false. */
  zeroInitResidual?: boolean;
  /** Seed for the initial weights; with it, the same seed gives the same weights as torchvision after torch.manual_seed. */
  seed?: number;
  /** `cpu`, `cuda`, `cuda:N` or `auto`. Default `cpu`. */
  device?: string;
}

export interface ResolvedModelOptions {
  arch: Arch;
  stem: Stem;
  attention: Attention;
  inChannels: number;
  numClasses: number;
  reduction: number;
  zeroInitResidual: boolean;
  seed?: number;
  device: string;
}

export const MODEL_DEFAULTS: Omit<ResolvedModelOptions, 'seed'> = {
  arch: 'resnet18',
  stem: 'imagenet',
  attention: 'none',
  inChannels: 3,
  numClasses: 1000,
  reduction: 16,
  zeroInitResidual: false,
  device: 'cpu',
};

const MODEL_OPTION_KEYS = [...Object.keys(MODEL_DEFAULTS), 'seed'];

/** An invalid option: `field` names it. */
export class OptionError extends TypeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'OptionError';
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
}

export function oneOf<T extends string>(field: string, value: unknown, valid: readonly T[], extra = ''): T {
  if (typeof value === 'string' && (valid as readonly string[]).includes(value)) return value as T;
  throw new OptionError(field, `unknown value ${describe(value)}; valid: ${valid.join(', ')}${extra}`);
}

export function integerIn(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new OptionError(field, `must be an integer ${range}, got ${describe(value)}`);
  }
  return value;
}

export function canonicalAttention(value: unknown): Attention {
  if (typeof value === 'string' && value in ATTENTION_ALIASES) {
    return ATTENTION_ALIASES[value as AttentionAlias];
  }
  return oneOf('attention', value, ATTENTIONS, `; aliases: ${Object.keys(ATTENTION_ALIASES).join(', ')}`);
}

export function validateDevice(value: unknown): string {
  if (typeof value === 'string' && /^(cpu|auto|cuda(:\d{1,3})?)$/.test(value)) return value;
  throw new OptionError('device', `unknown device ${describe(value)}; valid: cpu, cuda, cuda:N, auto`);
}

/** Fills defaults, canonicalises aliases and checks every field. */
export function resolveModelOptions(options: ModelOptions = {}): ResolvedModelOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OptionError('options', `must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!MODEL_OPTION_KEYS.includes(key)) {
      throw new OptionError(key, `unknown model option; valid: ${MODEL_OPTION_KEYS.join(', ')}`);
    }
  }
  const o = { ...MODEL_DEFAULTS, ...stripUndefined(options) };
  const resolved: ResolvedModelOptions = {
    arch: oneOf('arch', o.arch, ARCHS),
    stem: oneOf('stem', o.stem, STEMS),
    attention: canonicalAttention(o.attention),
    inChannels: integerIn('inChannels', o.inChannels, 1, 4096),
    numClasses: integerIn('numClasses', o.numClasses, 1, 1_000_000),
    reduction: integerIn('reduction', o.reduction, 1, 4096),
    zeroInitResidual: booleanField('zeroInitResidual', o.zeroInitResidual),
    device: validateDevice(o.device),
  };
  if (options.seed !== undefined) resolved.seed = integerIn('seed', options.seed, 0);
  return resolved;
}

function booleanField(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new OptionError(field, `must be true or false, got ${describe(value)}`);
  return value;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
