// TensorBoard event files (the tfevents record format) written without
// TensorFlow: each record is length (uint64 LE), masked CRC32C of the length,
// an Event protobuf, masked CRC32C of the data.
import { crc32c } from '@aws-crypto/crc32c';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

function field(number: number, wireType: number): number[] {
  return varint((number << 3) | wireType);
}

function lengthDelimited(number: number, bytes: Uint8Array | number[]): number[] {
  return [...field(number, 2), ...varint(bytes.length), ...bytes];
}

/** Event { wall_time = 1 (double); step = 2 (int64); file_version = 3 (string); summary = 5 (Summary) }. */
export function encodeEvent(event: { wallTime: number; step?: number; fileVersion?: string; scalars?: Record<string, number> }): Uint8Array {
  const bytes: number[] = [...field(1, 1)];
  const time = Buffer.alloc(8);
  time.writeDoubleLE(event.wallTime);
  bytes.push(...time);
  if (event.step !== undefined) bytes.push(...field(2, 0), ...varint(event.step));
  if (event.fileVersion !== undefined) bytes.push(...lengthDelimited(3, Buffer.from(event.fileVersion)));
  if (event.scalars) {
    // Summary { repeated Value value = 1 }; Value { string tag = 1; float simple_value = 2 }
    const summary: number[] = [];
    for (const [tag, value] of Object.entries(event.scalars)) {
      const simple = Buffer.alloc(4);
      simple.writeFloatLE(value);
      summary.push(...lengthDelimited(1, [...lengthDelimited(1, Buffer.from(tag)), ...field(2, 5), ...simple]));
    }
    bytes.push(...lengthDelimited(5, summary));
  }
  return Uint8Array.from(bytes);
}

export function encodeRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.length), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, Buffer.from(data), footer]);
}

/** Appends scalar events to `<dir>/events.out.tfevents.<time>.<host>`. */
export class EventWriter {
  readonly file: string;

  constructor(dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${os.hostname()}`);
    fs.writeFileSync(this.file, encodeRecord(encodeEvent({ wallTime: Date.now() / 1000, fileVersion: 'brain.Event:2' })));
  }

  scalars(step: number, values: Record<string, number>, wallTime = Date.now() / 1000): void {
    const finite = Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
    if (Object.keys(finite).length === 0) return;
    fs.appendFileSync(this.file, encodeRecord(encodeEvent({ wallTime, step, scalars: finite })));
  }
}
