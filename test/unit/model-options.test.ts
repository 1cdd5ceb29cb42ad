// Model, predict and evaluate options: defaults, aliases, devices, errors.
import {
  ATTENTIONS, ATTENTION_ALIASES, MODEL_DEFAULTS, OptionError, canonicalAttention, resolveEvaluateOptions, resolveModelOptions,
  resolvePredictOptions, validateDevice,
} from '../../lib/options';

test('defaults', () => {
  expect(resolveModelOptions()).toEqual({ arch: 'resnet18', stem: 'imagenet', attention: 'none', inChannels: 3, numClasses: 1000, reduction: 16, zeroInitResidual: false, device: 'cpu' });
  expect(resolveModelOptions()).toEqual(MODEL_DEFAULTS);
  expect(resolvePredictOptions({})).toEqual({ amp: false, channelsLast: false, exact: false });
  expect(resolveEvaluateOptions({})).toEqual({ batchSize: 256, workers: 0, amp: false, channelsLast: false });
});

test("the seed paper's aliases resolve to canonical names", () => {
  for (const [alias, name] of Object.entries(ATTENTION_ALIASES)) {
    expect(resolveModelOptions({ attention: alias as never }).attention).toBe(name);
    expect(canonicalAttention(alias)).toBe(name);
  }
  for (const name of ATTENTIONS) expect(canonicalAttention(name)).toBe(name);
});

test('errors name the field and list what is valid', () => {
  expect(() => resolveModelOptions({ attention: 'se2' as never })).toThrow(new OptionError('attention',
    "unknown value 'se2'; valid: none, se, avgmax-mul, avgmax-add, dual-mul, dual-add, cbam, eca; aliases: original, senet, model0, model1, model2, model3, model4"));
  expect(() => canonicalAttention('x')).toThrow(/^attention: unknown value 'x'/);
  expect(() => resolveModelOptions({ device: 'tpu' })).toThrow(new OptionError('device', "unknown device 'tpu'; valid: cpu, cuda, cuda:N, auto"));
  expect(() => resolveModelOptions({ arch: 'resnet20' as never })).toThrow(/^arch: unknown value 'resnet20'; valid: resnet18, resnet34, resnet50, resnet101, resnet152$/);
  expect(() => resolveModelOptions({ inChannels: 0 })).toThrow(new OptionError('inChannels', 'must be an integer in [1, 4096], got 0'));
  expect(() => resolveModelOptions({ seed: -1 })).toThrow(new OptionError('seed', 'must be an integer >= 0, got -1'));
  expect(() => resolveModelOptions({ foo: 1 } as never)).toThrow(/^foo: unknown model option; valid: arch, stem, attention, /);
  expect(() => resolveModelOptions(null as never)).toThrow(new OptionError('options', 'must be an object like { arch: "resnet18" }, got null'));
  expect(() => resolveEvaluateOptions({ batchSize: 0 })).toThrow(new OptionError('batchSize', 'must be an integer in [1, 1048576], got 0'));
  expect(() => resolvePredictOptions({ amp: 'fp8' })).toThrow(new OptionError('amp', "unknown value 'fp8'; valid: false, 'bf16' (CPU and CUDA), 'fp16' (CUDA only)"));
});

test('devices', () => {
  for (const device of ['cpu', 'cuda', 'cuda:0', 'cuda:12', 'auto']) expect(validateDevice(device)).toBe(device);
  for (const device of ['gpu', 'cuda:', 'cuda:x', 'CPU', '']) expect(() => validateDevice(device)).toThrow(OptionError);
});
