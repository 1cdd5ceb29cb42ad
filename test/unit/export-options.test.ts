// model.exportOnnx()'s options: defaults, the rule that ties batchSize to
// dynamicBatch: false, and the messages (the per-field rules are covered for
// every table by option-rules.test.ts).
import { OptionError, resolveExportOnnxOptions } from '../../lib/options';

test('defaults: opset 17, dynamic batch, BatchNorm folded, symbolic H and W', () => {
  expect(resolveExportOnnxOptions({})).toEqual({ opset: 17, dynamicBatch: true, foldBatchNorm: true });
});

test('a fixed batch size needs dynamicBatch: false', () => {
  expect(resolveExportOnnxOptions({ dynamicBatch: false, batchSize: 8, inputSize: [224, 224] }))
    .toEqual({ opset: 17, dynamicBatch: false, batchSize: 8, inputSize: [224, 224], foldBatchNorm: true });
  expect(() => resolveExportOnnxOptions({ batchSize: 8 })).toThrow(
    new OptionError('batchSize', 'fixes the batch dimension, so it needs dynamicBatch: false (--no-dynamic-batch)'),
  );
});

test.each([
  [{ opset: 12 }, 'opset: must be an integer in [13, 21], got 12'],
  [{ opset: 22 }, 'opset: must be an integer in [13, 21], got 22'],
  [{ inputSize: [224] }, 'inputSize: must be two integers H,W >= 1, got [224]'],
  [{ inputSize: [224, 0] }, 'inputSize: must be two integers H,W >= 1, got [224,0]'],
  [{ dynamic: true }, 'dynamic: unknown option; valid: opset, dynamicBatch, batchSize, inputSize, foldBatchNorm'],
])('%j is refused: %s', (options, message) => {
  expect(() => resolveExportOnnxOptions(options)).toThrow(message);
});
