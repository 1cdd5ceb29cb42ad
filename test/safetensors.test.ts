// The safetensors reader treats every file as untrusted: bad files are clear
// errors, never crashes or out-of-bounds reads, and a failed load leaves the
// model untouched.
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { createModel, inspectSafetensors, loadModel } from '../lib';
import { tempDir } from './helpers/files';

const dir = tempDir('safetensors');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function safetensorsBytes(header: object, data: Uint8Array = new Uint8Array(0), rawHeader?: string): Buffer {
  const text = Buffer.from(rawHeader ?? JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([prefix, text, Buffer.from(data)]);
}

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

describe('bad weight files', () => {
  const model = createModel({ arch: 'resnet18', numClasses: 10, seed: 1 });
  const good = path.join(dir, 'good.safetensors');
  const x = new Float32Array(3 * 32 * 32).fill(0.3);
  let before: number[];

  beforeAll(async () => {
    await model.save(good);
    before = Array.from(await model.predict(x, [1, 3, 32, 32]));
  });

  afterEach(async () => {
    // Whatever failed, the model is unchanged ("no committed data is lost").
    expect(Array.from(await model.predict(x, [1, 3, 32, 32]))).toEqual(before);
  });

  test('a missing file', async () => {
    await expect(model.load(path.join(dir, 'absent.safetensors'))).rejects.toThrow(/cannot open weights file '.*absent.safetensors'/);
    await expect(loadModel(path.join(dir, 'absent.safetensors'))).rejects.toThrow(/cannot open weights file/);
  });

  test('a truncated file', async () => {
    const bytes = fs.readFileSync(good);
    const file = write('truncated.safetensors', bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(model.load(file)).rejects.toThrow(/truncated.safetensors: not a valid safetensors file: entry '.*' claims bytes \[\d+, \d+\) but the data section has \d+ bytes \(truncated file\?\)/);
    const tiny = write('tiny.safetensors', bytes.subarray(0, 5));
    await expect(model.load(tiny)).rejects.toThrow(/file has 5 bytes, fewer than the 8-byte header length/);
  });

  test('a file that is not safetensors', async () => {
    const file = write('pickle.pt', Buffer.from('PK\x03\x04 this is a zip/pickle checkpoint, not safetensors at all'));
    await expect(model.load(file)).rejects.toThrow(/pickle.pt: not a valid safetensors file: header length \d+ (exceeds|runs past)/);
    const json = write('notjson.safetensors', safetensorsBytes({}, undefined, '{"a": [1, 2'));
    await expect(model.load(json)).rejects.toThrow(/header is not valid JSON/);
    const array = write('array.safetensors', safetensorsBytes([1, 2, 3]));
    await expect(model.load(array)).rejects.toThrow(/header is not a JSON object/);
  });

  test('a header claiming bytes beyond the file', async () => {
    const file = write('beyond.safetensors', safetensorsBytes({ 'fc.bias': { dtype: 'F32', shape: [10], data_offsets: [0, 40] } }, new Uint8Array(8)));
    await expect(model.load(file)).rejects.toThrow(/entry 'fc.bias' claims bytes \[0, 40\) but the data section has 8 bytes/);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(0xffffffffffffff00n);
    await expect(model.load(write('huge.safetensors', huge))).rejects.toThrow(/header length \d+ exceeds the 100 MiB limit/);
    const overflow = write('overflow.safetensors', safetensorsBytes({ w: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 0] } }));
    await expect(model.load(overflow)).rejects.toThrow(/tensor 'w' is too large|spans 0 bytes/);
    const inconsistent = write('size.safetensors', safetensorsBytes({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)));
    await expect(model.load(inconsistent)).rejects.toThrow(/entry 'w' spans 8 bytes but its dtype F32 and shape need 12/);
  });

  test('missing and unexpected keys name the keys', async () => {
    const se = path.join(dir, 'se.safetensors');
    await createModel({ attention: 'se', numClasses: 10 }).save(se);
    await expect(model.load(se)).rejects.toThrow(/does not match the model: unexpected keys: layer1.0.se.fc1.weight, .* \(32 in all\)/);
    const r34 = path.join(dir, 'r34.safetensors');
    await createModel({ arch: 'resnet34', numClasses: 10 }).save(r34);
    await expect(model.load(r34)).rejects.toThrow(/unexpected keys: layer1.2.conv1.weight/);
    const r34model = createModel({ arch: 'resnet34', numClasses: 10 });
    await expect(r34model.load(good)).rejects.toThrow(/missing keys: layer1.2.conv1.weight/);
  });

  test('a shape mismatch names the first offending key and both shapes', async () => {
    const other = path.join(dir, 'classes.safetensors');
    await createModel({ numClasses: 1000 }).save(other);
    await expect(model.load(other)).rejects.toThrow("key 'fc.weight' has shape [1000, 512] in the file but the model expects [10, 512]");
  });

  test('a dtype that cannot hold the tensor', async () => {
    const bytes = safetensorsBytes({ 'fc.bias': { dtype: 'I64', shape: [10], data_offsets: [0, 80] } }, new Uint8Array(80));
    const header = inspectSafetensors(bytes);
    expect(header.tensors[0]).toMatchObject({ name: 'fc.bias', dtype: 'I64', shape: [10] });
    const file = write('bias-int.safetensors', bytes);
    await expect(model.load(file)).rejects.toThrow(/missing keys/);
  });

  test('loadModel needs senet-lab metadata, and says how to load other files', async () => {
    const file = write('nometa.safetensors', safetensorsBytes({ __metadata__: { format: 'pt' } }));
    await expect(loadModel(file)).rejects.toThrow(/does not describe a senet-lab model \(missing 'arch'\); create the model with createModel\(options\) and call load\(\)/);
    const bad = write('badmeta.safetensors', safetensorsBytes({ __metadata__: { arch: 'resnet9', stem: 'cifar', attention: 'se', in_channels: '1', num_classes: '10', reduction: '16' } }));
    await expect(loadModel(bad)).rejects.toThrow(/badmeta.safetensors: metadata: unknown arch 'resnet9'/);
    const negative = write('neg.safetensors', safetensorsBytes({ __metadata__: { arch: 'resnet18', stem: 'cifar', attention: 'se', in_channels: '-1', num_classes: '10', reduction: '16' } }));
    await expect(loadModel(negative)).rejects.toThrow(/metadata 'in_channels' must be a positive integer, got '-1'/);
  });
});

describe('header parser under fuzzing (fast-check)', () => {
  const errorOrResult = (bytes: Uint8Array): void => {
    try {
      const result = inspectSafetensors(bytes);
      // Whatever parses must describe only bytes inside the buffer.
      for (const t of result.tensors) {
        expect(t.begin).toBeLessThanOrEqual(t.end);
        expect(result.dataStart + t.end).toBeLessThanOrEqual(bytes.length);
      }
    } catch (error) {
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/not a valid safetensors file/);
    }
  };

  test('random bytes never crash the reader', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => errorOrResult(bytes)), { numRuns: 2000 });
  });

  test('random length prefixes over random JSON never read out of bounds', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.json(), fc.uint8Array({ maxLength: 64 }), (length, text, tail) => {
        const body = Buffer.from(text);
        const prefix = Buffer.alloc(8);
        prefix.writeBigUInt64LE(length);
        errorOrResult(Buffer.concat([prefix, body, Buffer.from(tail)]));
      }),
      { numRuns: 2000 },
    );
  });

  const entry = fc.record({
    dtype: fc.constantFrom('F32', 'F64', 'F16', 'BF16', 'I64', 'I32', 'U8', 'BOOL', 'X9', 7 as unknown as string),
    shape: fc.array(fc.oneof(fc.nat(6), fc.integer({ min: -3, max: 2 ** 53 }), fc.constant(1.5)), { maxLength: 4 }),
    data_offsets: fc.tuple(fc.oneof(fc.nat(300), fc.integer()), fc.oneof(fc.nat(300), fc.integer())),
  });

  test('structured headers with hostile fields are accepted only when fully consistent', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), entry, { maxKeys: 4 }), fc.nat(300), (header, dataSize) => {
        errorOrResult(safetensorsBytes(header, new Uint8Array(dataSize)));
      }),
      { numRuns: 3000 },
    );
  });

  test('mutations of a real weights file: loading fails cleanly or succeeds, never crashes', async () => {
    const small = createModel({ arch: 'resnet18', stem: 'cifar', inChannels: 1, numClasses: 2 });
    const file = path.join(dir, 'mutate-src.safetensors');
    await small.save(file);
    const original = fs.readFileSync(file);
    const headerLength = Number(original.readBigUInt64LE(0));
    await fc.assert(
      fc.asyncProperty(fc.nat(headerLength + 7), fc.integer({ min: 0, max: 255 }), async (offset, value) => {
        const mutated = Buffer.from(original);
        mutated[offset] = value;
        const target = write('mutated.safetensors', mutated);
        try {
          await small.load(target);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 60 },
    );
  });
});
