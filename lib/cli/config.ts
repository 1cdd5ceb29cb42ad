// Run configuration for `train` and `ablate`: a JSON file (--config) and
// command-line flags, validated with zod so errors name the field.
import { z } from 'zod';
import { ARCHS, ATTENTIONS, ATTENTION_ALIASES, OptionError, STEMS } from '../options';

const attentionNames = [...ATTENTIONS, ...Object.keys(ATTENTION_ALIASES)] as [string, ...string[]];
const positiveInt = z.number().int().positive();

export const runConfigSchema = z
  .object({
    arch: z.enum(ARCHS),
    archs: z.array(z.enum(ARCHS)).nonempty(),
    attention: z.enum(attentionNames),
    attentions: z.array(z.enum(attentionNames)).nonempty(),
    seeds: z.array(z.number().int().nonnegative()).nonempty(),
    stem: z.enum(STEMS),
    inChannels: positiveInt,
    numClasses: positiveInt,
    reduction: positiveInt,
    device: z.string(),
    data: z.string(),
    testData: z.string(),
    augment: z.boolean(),
    imageSize: positiveInt,
    preset: z.enum(['seed']),
    iterations: positiveInt,
    epochs: z.number().positive(),
    batchSize: positiveInt,
    optimizer: z.enum(['sgd', 'adamw']),
    lr: z.number().positive(),
    momentum: z.number().nonnegative(),
    dampening: z.number().nonnegative(),
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]),
    eps: z.number().positive(),
    zeroInitResidual: z.boolean(),
    skipNonFinite: z.boolean(),
    evalBatchSize: positiveInt,
    keepCheckpoints: positiveInt,
    prefetch: positiveInt,
    shuffle: z.boolean(),
    dropLast: z.boolean(),
    rank: z.number().int().nonnegative(),
    worldSize: positiveInt,
    nesterov: z.boolean(),
    weightDecay: z.number().nonnegative(),
    noDecayNormBias: z.boolean(),
    schedule: z.enum(['constant', 'step', 'multistep', 'cosine']),
    stepSize: positiveInt,
    milestones: z.array(positiveInt),
    gamma: z.number().positive(),
    finalLr: z.number().nonnegative(),
    warmup: z.number().int().nonnegative(),
    labelSmoothing: z.number().min(0).max(1),
    logEvery: positiveInt,
    evalEvery: z.number().int().nonnegative(),
    checkpointEvery: z.number().int().nonnegative(),
    out: z.string(),
    resume: z.string(),
    seed: z.number().int().nonnegative(),
    threads: positiveInt,
    workers: z.number().int().nonnegative(),
    amp: z.union([z.enum(['bf16', 'fp16']), z.literal(false)]),
    channelsLast: z.boolean(),
    cudnnBenchmark: z.boolean(),
  })
  .partial()
  .strict();

export type RunConfig = z.infer<typeof runConfigSchema>;

/** Validates a config object; the error names the first offending field. */
export function validateRunConfig(value: unknown, origin: string): RunConfig {
  const parsed = runConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'config');
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s) in ${origin}; valid: ${Object.keys(runConfigSchema.shape).join(', ')}` : `${issue.message} (in ${origin})`;
  throw new OptionError(field, message);
}
