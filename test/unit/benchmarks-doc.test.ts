// docs/benchmarks.md's generator on result files made here: the machine line
// states what the file recorded (CPU flags included), the tables are rebuilt
// from the rows, and sections appear only for the files present.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { benchmarksMarkdown } = require('../../scripts/docs/benchmarks-md') as { benchmarksMarkdown: (dir: string) => string };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'senet-unit-bench-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, data: unknown): void => fs.writeFileSync(path.join(dir, name), JSON.stringify(data));
const stat = (median: number): object => ({ median, min: median - 1, max: median + 1, runs: [median - 1, median, median + 1] });

test('training: machine line with CPU flags, ratios and attention cost from the rows', () => {
  write('train.json', {
    date: '2030-01-02T03:04:05Z', cpu: 'Test CPU', cpus: 8, cpuFlags: ['avx2', 'fma'], threads: 8, repeats: 3, rows: [
      { line: 'resnet18 L', attention: 'none', ours: stat(110), pytorch: stat(100), ratio: 1.1, overheadOurs: 0, overheadPytorch: 0 },
      { line: 'resnet18 L', attention: 'se', ours: stat(100), pytorch: stat(80), ratio: 1.25, overheadOurs: 0.1, overheadPytorch: 0.25 },
    ],
  });
  const md = benchmarksMarkdown(dir);
  expect(md).toContain('_measured 2030-01-02; CPU Test CPU; 8 CPUs; CPU flags: avx2 fma; 8 threads; median (range) of 3 interleaved repetitions._');
  expect(md).toContain('| resnet18 L | se | 100.0 (99.0–101.0) | 80.0 (79.0–81.0) | **1.25×** | +10% / +25% |');
  expect(md).toContain('| resnet18 L | none | 110.0 (109.0–111.0) | 100.0 (99.0–101.0) | **1.10×** | — |');
  expect(md).not.toContain('## Predict');
});

test('a file without CPU flags says they were not recorded; GPU results get their own section', () => {
  write('loader.json', { date: '2030-01-02T00:00:00Z', cpus: 2, rows: [{ data: 'fmnist', workers: 2, ours: 1000, torchvision: 250 }] });
  write('gpu.json', { dryRun: false, seconds: 120, torch: { torch: '2.5.0', cuda: '12.4', cudnn: 90100, gpu: 'Test GPU' }, bench: [{ line: 'resnet50', settings: 'bf16', ours: 900, pytorch: 1000 }] });
  const md = benchmarksMarkdown(dir);
  expect(md).toContain('_measured 2030-01-02; 2 CPUs; CPU flags not recorded._');
  expect(md).toContain('| fmnist | 2 | 1000 | 250 | 4.00× | — | — |');
  expect(md).toContain('_GPU Test GPU; torch 2.5.0, CUDA 12.4, cuDNN 90100; 120 s in all._');
  expect(md).toContain('| resnet50 | bf16 | 900.0 | 1000.0 | **0.90×** |');
});

test('predict: PyTorch frozen and onnxruntime-node columns, GFLOP/s, the load note; older rows show —', () => {
  write('predict.json', {
    date: '2030-01-02T00:00:00Z', cpus: 2, cpuFlags: ['avx512f'], threads: 2, repeats: 3, loadAverage: 9.5, ompWaitPolicy: 'PASSIVE', rows: [
      {
        line: 'resnet18 B32', ours: stat(40), pytorch: stat(20), pytorchFrozen: stat(50), onnxruntime: stat(80), ratio: 2, ratioFrozen: 0.8, ratioOnnxruntime: 0.5,
        gflops: { ours: 145.2, pytorch: 72.6, pytorchFrozen: 181.5, onnxruntime: 290.4 },
      },
      { line: 'resnet50 B1', ours: stat(10), pytorch: stat(10), ratio: 1 },
    ],
  });
  const md = benchmarksMarkdown(dir);
  expect(md).toContain('OMP_WAIT_POLICY=PASSIVE; **other work shared the CPUs (load average 9.5 on 2 CPUs): indicative figures only**._');
  expect(md).toContain('| resnet18 B32 | 40.0 (39.0–41.0) | 20.0 (19.0–21.0) | 50.0 (49.0–51.0) | 80.0 (79.0–81.0) | **2.00×** | **0.80×** | **0.50×** | 145 / 73 / 182 / 290 |');
  expect(md).toContain('| resnet50 B1 | 10.0 (9.0–11.0) | 10.0 (9.0–11.0) | — | — | **1.00×** | — | — | — |');
});
