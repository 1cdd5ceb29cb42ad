// Model options: the public types, their table and their resolution.
import { OptionTable, defaultsOf, resolveTable } from './table';
import { OptionError, Rule, describe, objectField, rules } from './validate';

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

/** Model options with every default filled in and the attention name canonical (what `model.options` holds). */
export interface ResolvedModelOptions extends Required<Omit<ModelOptions, 'attention' | 'seed'>>, Pick<ModelOptions, 'seed'> {
  /** Channel attention after the last BN of every residual branch, by its canonical name. */
  attention: Attention;
}

/** Canonical attention names and the seed paper's aliases; resolves to the canonical name. */
const attentionRule: Rule<Attention> = (() => {
  const aliases = Object.keys(ATTENTION_ALIASES) as AttentionAlias[];
  const names = rules.oneOf<string>(ATTENTIONS, `; aliases: ${aliases.join(', ')}`, aliases);
  return {
    ...names,
    schema: names.schema.transform((v) => (v in ATTENTION_ALIASES ? ATTENTION_ALIASES[v as AttentionAlias] : (v as Attention))),
  };
})();

const deviceRule: Rule<string> = rules.custom<string>(
  'string',
  'cpu | cuda | cuda:N | auto',
  (v) => typeof v === 'string' && /^(cpu|auto|cuda(:\d{1,3})?)$/.test(v),
  (v) => `unknown device ${describe(v)}; valid: cpu, cuda, cuda:N, auto`,
);

export const modelOptionTable: OptionTable<ResolvedModelOptions> = {
  arch: { rule: rules.oneOf(ARCHS), default: 'resnet18', help: 'backbone depth (torchvision structure)' },
  stem: { rule: rules.oneOf(STEMS), default: 'imagenet', help: 'imagenet: 7×7/2 conv + max-pool; cifar: 3×3/1 conv, no pool' },
  attention: { rule: attentionRule, default: 'none', help: 'channel attention block (seed names: original, senet, model0..model4)' },
  inChannels: { rule: rules.integer(1, 4096), default: 3, help: 'input channels' },
  numClasses: { rule: rules.integer(1, 1_000_000), default: 1000, help: 'output logits (classes)' },
  reduction: { rule: rules.integer(1, 4096), default: 16, help: 'attention MLP reduction r' },
  zeroInitResidual: { rule: rules.boolean(), default: false, help: 'zero the last BN of each residual branch' },
  // On the command line --seed seeds both the weights and the data order.
  seed: { rule: rules.integer(0), help: 'seed for the initial weights', flag: false },
  device: { rule: deviceRule, default: 'cpu', help: 'cpu | cuda | cuda:N | auto' },
};

export const MODEL_DEFAULTS = Object.freeze(defaultsOf(modelOptionTable)) as Omit<ResolvedModelOptions, 'seed'>;

/** A canonical attention name for a name or a seed-paper alias. */
export function canonicalAttention(value: unknown): Attention {
  const parsed = attentionRule.schema.safeParse(value);
  if (!parsed.success) throw new OptionError('attention', parsed.error.issues[0].message);
  return parsed.data;
}

/** Fills defaults, canonicalises aliases and checks every field. */
export function resolveModelOptions(options: ModelOptions = {}): ResolvedModelOptions {
  return resolveTable(modelOptionTable, objectField('options', options, '{ arch: "resnet18" }'), '', 'model option');
}

/** Checks a device name: cpu, cuda, cuda:N or auto. */
export function validateDevice(value: unknown): string {
  return resolveTable({ device: modelOptionTable.device }, { device: value }).device;
}
