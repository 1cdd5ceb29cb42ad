// A reader for TensorBoard event files, independent of the writer: it checks
// both masked CRC32Cs of every record and decodes Event/Summary protobufs.
import { crc32c } from '@aws-crypto/crc32c';
import * as fs from 'fs';

function masked(data: Uint8Array): number {
  const crc = crc32c(data);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

interface Cursor { bytes: Uint8Array; at: number }

function readVarint(c: Cursor): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const byte = c.bytes[c.at++];
    result |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return result;
    shift += 7n;
  }
}

function fields(bytes: Uint8Array): { number: number; wire: number; value: bigint | Uint8Array | number }[] {
  const c = { bytes, at: 0 };
  const out: { number: number; wire: number; value: bigint | Uint8Array | number }[] = [];
  while (c.at < bytes.length) {
    const key = Number(readVarint(c));
    const number = key >> 3;
    const wire = key & 7;
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (wire === 0) out.push({ number, wire, value: readVarint(c) });
    else if (wire === 1) { out.push({ number, wire, value: view.readDoubleLE(c.at) }); c.at += 8; }
    else if (wire === 5) { out.push({ number, wire, value: view.readFloatLE(c.at) }); c.at += 4; }
    else if (wire === 2) { const n = Number(readVarint(c)); out.push({ number, wire, value: bytes.subarray(c.at, c.at + n) }); c.at += n; }
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

export interface DecodedEvent { wallTime: number; step: number; fileVersion?: string; scalars: Record<string, number> }

export function readEvents(file: string): DecodedEvent[] {
  const data = fs.readFileSync(file);
  const events: DecodedEvent[] = [];
  let at = 0;
  while (at < data.length) {
    const length = Number(data.readBigUInt64LE(at));
    if (data.readUInt32LE(at + 8) !== masked(data.subarray(at, at + 8))) throw new Error(`bad length CRC at ${at}`);
    const payload = data.subarray(at + 12, at + 12 + length);
    if (data.readUInt32LE(at + 12 + length) !== masked(payload)) throw new Error(`bad data CRC at ${at}`);
    at += 16 + length;
    const event: DecodedEvent = { wallTime: 0, step: 0, scalars: {} };
    for (const f of fields(payload)) {
      if (f.number === 1) event.wallTime = f.value as number;
      if (f.number === 2) event.step = Number(f.value);
      if (f.number === 3) event.fileVersion = Buffer.from(f.value as Uint8Array).toString();
      if (f.number === 5) {
        for (const v of fields(f.value as Uint8Array).filter((x) => x.number === 1)) {
          const parts = fields(v.value as Uint8Array);
          const tag = Buffer.from(parts.find((p) => p.number === 1)!.value as Uint8Array).toString();
          event.scalars[tag] = parts.find((p) => p.number === 2)!.value as number;
        }
      }
    }
    events.push(event);
  }
  return events;
}
