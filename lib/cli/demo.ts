// A quick look at the variants: build every attention block on one backbone,
// print its structure and time a forward pass of each.
//   npm run demo [-- --arch resnet50 --batch 8 --size 64 --repeats 5]
import { parseArgs } from 'util';
import { ARCHS, ATTENTIONS, Arch, createModel, runtimeInfo } from '../index';

const FORMULAS: Record<string, string> = {
  none: 'Original (no block)',
  se: 'MLP(a)                 Model 0 / SENet',
  'avgmax-mul': 'MLP(a ⊙ m)             Model 1',
  'avgmax-add': 'MLP(a + m)             Model 2',
  'dual-mul': 'MLP(a) ⊙ MLP(m)        Model 3',
  'dual-add': 'MLP(a) + MLP(m)        Model 4',
  cbam: 'σ(W2δ(W1a) + W2δ(W1m)) CBAM channel',
  eca: 'σ(conv1d_k(a))         ECA-Net',
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string', default: 'resnet18' },
      batch: { type: 'string', default: '8' },
      size: { type: 'string', default: '64' },
      repeats: { type: 'string', default: '5' },
    },
  });
  const arch = values.arch as Arch;
  if (!ARCHS.includes(arch)) throw new Error(`--arch: unknown '${arch}'; valid: ${ARCHS.join(', ')}`);
  const batch = Number(values.batch);
  const size = Number(values.size);
  const repeats = Number(values.repeats);
  const info = runtimeInfo();
  console.log(`senet-lab demo: libtorch ${info.torchVersion}, ${info.threads} threads, CUDA ${info.cudaAvailable ? 'yes' : 'no'}\n`);
  console.log(createModel({ arch }).summary().text + '\n');

  const input = new Float32Array(batch * 3 * size * size).map((_, i) => Math.sin(i * 0.01));
  const shape: [number, number, number, number] = [batch, 3, size, size];
  console.log(`forward (predict, eval mode) of a ${batch}×3×${size}×${size} batch, median of ${repeats} after 1 warm-up:`);
  console.log(`  ${'attention'.padEnd(11)} ${'s ='.padEnd(38)} ${'params'.padStart(12)} ${'Δ params'.padStart(9)} ${'ms'.padStart(8)} ${'img/s'.padStart(7)}`);
  let baseParams = 0;
  for (const attention of ATTENTIONS) {
    const model = createModel({ arch, attention, seed: 0 });
    if (attention === 'none') baseParams = model.parameterCount;
    await model.predict(input, shape);
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const start = process.hrtime.bigint();
      await model.predict(input, shape);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const ms = median(times);
    const delta = model.parameterCount - baseParams;
    console.log(
      `  ${attention.padEnd(11)} ${FORMULAS[attention].padEnd(38)} ${model.parameterCount.toLocaleString('en-US').padStart(12)} ${(delta ? `+${delta.toLocaleString('en-US')}` : '0').padStart(9)} ${ms.toFixed(1).padStart(8)} ${((batch * 1000) / ms).toFixed(0).padStart(7)}`,
    );
    model.dispose();
  }
}

main().catch((error: Error) => {
  console.error(`senet-lab demo: ${error.message}`);
  process.exit(1);
});
