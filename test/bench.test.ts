// Smoke run of the benchmark suite at tiny sizes: the harness (PyTorch
// reference server, interleaving, N-API timing, memory children, result
// files) works end to end. The figures themselves are not asserted: speed is
// measured by `npm run bench`, not by timed tests.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './helpers/files';

const positive = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;

test('bench --smoke measures both sides and writes results', () => {
  const out = tempDir('bench-smoke');
  try {
    const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'bench', 'run.js'), '--smoke', '--out', out], { encoding: 'utf8', timeout: 240_000 });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\| resnet18 7×7 stem 3×16×16 batch 2 \| se \|/);
    expect(r.stdout).toMatch(/N-API overhead/);

    const train = JSON.parse(fs.readFileSync(path.join(out, 'train.json'), 'utf8'));
    expect(train.rows.map((row: { attention: string; amp: string | false }) => `${row.attention} ${row.amp}`)).toEqual(['none false', 'se false', 'none bf16']);
    // The amp line's speed-up over float32: a ratio within each repetition against its interleaved float32 twin.
    const amp = train.rows[2];
    expect(amp.speedupOverFp32.ours.runs).toEqual(amp.ours.runs.map((rate: number, i: number) => rate / amp.fp32.ours.runs[i]));
    expect(amp.speedupOverFp32.pytorch.runs).toEqual(amp.pytorch.runs.map((rate: number, i: number) => rate / amp.fp32.pytorch.runs[i]));
    expect(positive(amp.speedupOverFp32.ours.median) && positive(amp.speedupOverFp32.pytorch.median)).toBe(true);
    expect(['native', 'emulated']).toContain(train.bf16);
    for (const row of train.rows) {
      expect(positive(row.ours.median) && positive(row.pytorch.median) && positive(row.ratio)).toBe(true);
    }
    // The attention suite: every kind on both sides, the cost taken within each round against that round's `none`.
    const attention = JSON.parse(fs.readFileSync(path.join(out, 'attention.json'), 'utf8'));
    expect(attention.rows.map((row: { attention: string }) => row.attention)).toEqual(['none', 'se', 'dual-add']);
    const [none, ...kinds] = attention.rows;
    expect(none.costOurs).toBeUndefined();
    for (const kind of kinds) {
      expect(positive(kind.ours.median) && positive(kind.pytorch.median)).toBe(true);
      expect(kind.costOurs.runs).toEqual(kind.ours.runs.map((rate: number, round: number) => none.ours.runs[round] / rate - 1));
      expect(kind.costPytorch.runs).toEqual(kind.pytorch.runs.map((rate: number, round: number) => none.pytorch.runs[round] / rate - 1));
    }
    const predict = JSON.parse(fs.readFileSync(path.join(out, 'predict.json'), 'utf8'));
    expect(positive(predict.rows[0].ours.median) && positive(predict.rows[0].pytorch.median)).toBe(true);
    expect(positive(predict.rows[0].crossing.nativeMedianMs)).toBe(true);
    // PyTorch's frozen inference path and onnxruntime-node on our ONNX export, whose logits were checked against ours.
    const row = predict.rows[0];
    expect(positive(row.pytorchFrozen.median) && positive(row.onnxruntime.median) && positive(row.ratioOnnxruntime)).toBe(true);
    expect(row.onnxruntimeRelativeDifference).toBeLessThanOrEqual(1e-4);
    expect(Object.values(row.gflops).every(positive)).toBe(true);
    // The machine's measured peak, which the table divides each side's GFLOP/s by.
    expect(positive(predict.peak.gemmGflops) && positive(predict.peak.convGflops)).toBe(true);
    expect(predict.peak.best).toBe(Math.max(predict.peak.gemmGflops, predict.peak.convGflops));
    expect(predict.peak.gemmSize).toBeGreaterThan(0);
    if (predict.bf16 === 'native') expect(positive(row.oursBf16.median) && positive(row.bf16Speedup)).toBe(true);
    else expect(row.oursBf16).toBeNull();
    const memory = JSON.parse(fs.readFileSync(path.join(out, 'memory.json'), 'utf8'));
    expect(positive(memory.rows[0].ours.peakMiB) && positive(memory.rows[0].pytorch.peakMiB)).toBe(true);
    expect(memory.rows[0].ours.peakMiB).toBeGreaterThan(memory.rows[0].ours.baselineMiB);
    expect(fs.readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/Peak resident memory/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 300_000);

test('bench rejects an unknown suite by name', () => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'bench', 'run.js'), '--smoke', '--only', 'train,gpu'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/--only: unknown suite\(s\) gpu; valid: train, attention, predict, memory, distributed, loader/);
});
