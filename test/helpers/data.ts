// Small deterministic datasets for training tests.
import * as fs from 'fs';
import * as path from 'path';
import { InMemoryDataset } from '../../lib';

/** Float images with a class-dependent pattern (learnable) plus deterministic noise. */
export function patternDataset(n: number, channels: number, side: number, classes: number, seed = 1): InMemoryDataset {
  const images = new Float32Array(n * channels * side * side);
  const labels = new Int32Array(n);
  let state = seed >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 4294967296) * 2 - 1;
  };
  for (let i = 0; i < n; i++) {
    const label = i % classes;
    labels[i] = label;
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const signal = Math.sin(((label + 1) * (x + 2 * y + c)) / side * Math.PI);
          images[((i * channels + c) * side + y) * side + x] = signal + 0.3 * random();
        }
      }
    }
  }
  return { images, labels, shape: [n, channels, side, side] };
}

/**
 * Float images: one Gaussian pattern per class plus Gaussian noise (σ 0.5), labels (7i + 3) mod classes. With
 * ResNet-18 (cifar stem, 16×16) and small learning rates, training on it is not chaotic: a change of float
 * summation order (thread count, a 2-process split) moves the weights after 10 steps by < 1e-6.
 */
export function gaussianPatternDataset(n: number, channels: number, side: number, classes: number, seed = 3): InMemoryDataset {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(uniform() || 1e-9)) * Math.cos(2 * Math.PI * uniform());
  const size = channels * side * side;
  const patterns = Array.from({ length: classes }, () => Float32Array.from({ length: size }, gauss));
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % classes);
  const images = new Float32Array(n * size);
  labels.forEach((label, i) => {
    for (let j = 0; j < size; j++) images[i * size + j] = patterns[label][j] + 0.5 * gauss();
  });
  return { images, labels, shape: [n, channels, side, side] };
}

/** Writes a dataset as raw float32 images and int32 labels for the PyTorch reference. */
export function writeDataset(dir: string, name: string, data: InMemoryDataset): { images: string; labels: string; shape: number[] } {
  const images = path.join(dir, `${name}.images.f32`);
  const labels = path.join(dir, `${name}.labels.i32`);
  const floats = data.images instanceof Float32Array ? data.images : Float32Array.from(data.images, (v) => v / 255);
  fs.writeFileSync(images, Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength));
  const ints = Int32Array.from(data.labels);
  fs.writeFileSync(labels, Buffer.from(ints.buffer));
  return { images, labels, shape: data.shape };
}
