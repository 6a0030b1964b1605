/**
 * Our own safetensors reader/writer (https://github.com/huggingface/safetensors format): an 8-byte
 * little-endian header length N, N bytes of JSON describing each tensor's dtype, shape and byte
 * range in the data section, then the data. The reader validates the header like the Rust library
 * (length bounds, UTF-8 JSON object, known dtypes, shape × dtype size = byte range, ranges that tile
 * the data section with no gap or overlap) and reads tensors on demand with `fs.readSync`, so a
 * file larger than memory can be opened and read tensor by tensor.
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { SafetensorsError } from './errors.js';
import { decodeBF16, decodeF16, encodeBF16, encodeF16 } from './halfFloat.js';

/**
 * Element types a safetensors file may hold that mechlens can read.
 *
 * @example
 * const dt: SafetensorsDtype = 'BF16';
 */
export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U64'
  | 'U32'
  | 'U16'
  | 'U8'
  | 'BOOL';

/**
 * Bytes per element of each {@link SafetensorsDtype}.
 *
 * @example
 * DTYPE_BYTES.BF16; // 2
 */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

const FLOAT_DTYPES = new Set<SafetensorsDtype>(['F64', 'F32', 'F16', 'BF16']);
/** safetensors dtypes that exist in the format but that mechlens does not read. */
const KNOWN_UNSUPPORTED = new Set(['F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64']);

/**
 * Largest header the reader accepts (the Rust library's limit).
 *
 * @example
 * MAX_HEADER_BYTES; // 100_000_000
 */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * One tensor of a safetensors header. `begin`/`end` are byte offsets relative to the data section.
 *
 * @example
 * const e: TensorEntry = openSafetensors('m.safetensors').entries.get('wte.weight')!;
 * console.log(e.dtype, e.shape, e.end - e.begin);
 */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * A parsed and validated safetensors header.
 *
 * @example
 * const h: SafetensorsHeader = parseSafetensorsHeader(bytes, bytes.length);
 */
export interface SafetensorsHeader {
  /** N, the JSON length in bytes. */
  headerLength: number;
  /** Absolute file offset of the data section (8 + N). */
  dataOffset: number;
  /** Bytes in the data section. */
  dataLength: number;
  /** `__metadata__` (string → string), empty if absent. */
  metadata: Record<string, string>;
  /** Tensors in data order (by offset). */
  entries: Map<string, TensorEntry>;
}

function fail(code: ConstructorParameters<typeof SafetensorsError>[0], where: string, msg: string): never {
  throw new SafetensorsError(code, `${where}: ${msg}`);
}

function isSafeNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Number of elements of a shape (1 for a scalar `[]`).
 *
 * @example
 * shapeSize([2, 3]); // 6
 * shapeSize([]); // 1
 */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Parses and validates a safetensors header. `buf` holds at least the first 8 + N bytes of the file
 * (more is fine); `fileSize` is the whole file's size, used to check every byte range.
 *
 * @example
 * const bytes = readFileSync('model.safetensors');
 * const h = parseSafetensorsHeader(bytes, bytes.length);
 * console.log([...h.entries.keys()], h.metadata);
 */
export function parseSafetensorsHeader(
  buf: Uint8Array,
  fileSize: number,
  where = 'safetensors',
): SafetensorsHeader {
  if (fileSize < 8) {
    fail(
      'TRUNCATED',
      where,
      `file is ${fileSize} bytes, too short to hold the 8-byte header length (truncated?)`,
    );
  }
  if (buf.length < 8)
    fail('INVALID_ARGUMENT', where, `need the first 8 bytes of the file, got ${buf.length}`);
  const n64 = new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    fail(
      'HEADER_LENGTH',
      where,
      `header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`,
    );
  }
  const n = Number(n64);
  if (8 + n > fileSize) {
    fail(
      'HEADER_LENGTH',
      where,
      `header length ${n} goes beyond the end of the file (${fileSize} bytes): file truncated or not safetensors`,
    );
  }
  if (buf.length < 8 + n)
    fail('INVALID_ARGUMENT', where, `need the first ${8 + n} bytes of the file, got ${buf.length}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n));
  } catch {
    fail('HEADER_NOT_JSON', where, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) {
    fail(
      'HEADER_NOT_JSON',
      where,
      `header does not start with '{' (starts with ${JSON.stringify(text.slice(0, 16))})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail('HEADER_NOT_JSON', where, `header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail('HEADER_NOT_JSON', where, 'header JSON is not an object');
  }
  const dataLength = fileSize - 8 - n;
  const metadata: Record<string, string> = {};
  const list: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        fail('HEADER_INVALID', where, '__metadata__ must be an object of strings');
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail('HEADER_INVALID', where, `__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    list.push(parseEntry(name, raw, where));
  }
  checkLayout(list, dataLength, where);
  list.sort((a, b) => a.begin - b.begin || a.end - b.end);
  return {
    headerLength: n,
    dataOffset: 8 + n,
    dataLength,
    metadata,
    entries: new Map(list.map((e) => [e.name, e])),
  };
}

function parseEntry(name: string, raw: unknown, where: string): TensorEntry {
  const t = `tensor '${name}'`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail('HEADER_INVALID', where, `${t} is not an object with dtype, shape and data_offsets`);
  }
  const { dtype, shape, data_offsets: offs } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string') fail('HEADER_INVALID', where, `${t} has no dtype string`);
  if (!(dtype in DTYPE_BYTES)) {
    const why = KNOWN_UNSUPPORTED.has(dtype)
      ? 'a safetensors dtype that mechlens does not read'
      : 'not a safetensors dtype';
    fail(
      'UNKNOWN_DTYPE',
      where,
      `${t} has dtype '${dtype}' (${why}); supported: ${Object.keys(DTYPE_BYTES).join(', ')}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isSafeNonNegInt)) {
    fail(
      'HEADER_INVALID',
      where,
      `${t} has an invalid shape ${JSON.stringify(shape)} (need non-negative integers)`,
    );
  }
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isSafeNonNegInt)) {
    fail(
      'HEADER_INVALID',
      where,
      `${t} has invalid data_offsets ${JSON.stringify(offs)} (need [begin, end])`,
    );
  }
  const [begin, end] = offs as [number, number];
  if (end < begin)
    fail('BAD_OFFSETS', where, `${t} has data_offsets [${begin}, ${end}] with end before begin`);
  const dt = dtype as SafetensorsDtype;
  const expected = shapeSize(shape as number[]) * DTYPE_BYTES[dt];
  if (expected !== end - begin) {
    fail(
      'SIZE_MISMATCH',
      where,
      `${t}: shape [${(shape as number[]).join(', ')}] × ${dt} (${DTYPE_BYTES[dt]} bytes) = ${expected} bytes, ` +
        `but data_offsets [${begin}, ${end}] span ${end - begin} bytes`,
    );
  }
  return { name, dtype: dt, shape: [...(shape as number[])], begin, end };
}

/** The byte ranges must tile [0, dataLength) exactly, like the Rust library requires. */
function checkLayout(list: TensorEntry[], dataLength: number, where: string): void {
  const sorted = [...list].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let contiguous = true;
  for (const e of sorted) {
    if (e.begin !== pos) contiguous = false;
    pos = Math.max(pos, e.end);
  }
  const outside = sorted.find((e) => e.end > dataLength);
  if (outside) {
    if (contiguous) {
      fail(
        'TRUNCATED',
        where,
        `file truncated: the header describes ${pos} data bytes but the file holds only ${dataLength} ` +
          `(tensor '${outside.name}' [${outside.begin}, ${outside.end}] is incomplete)`,
      );
    }
    fail(
      'BAD_OFFSETS',
      where,
      `tensor '${outside.name}' has data_offsets [${outside.begin}, ${outside.end}] outside the data section ` +
        `(${dataLength} bytes)`,
    );
  }
  let prev: TensorEntry | undefined;
  pos = 0;
  for (const e of sorted) {
    if (e.begin < pos && prev) {
      fail(
        'OVERLAP',
        where,
        `tensors '${prev.name}' [${prev.begin}, ${prev.end}] and '${e.name}' [${e.begin}, ${e.end}] overlap`,
      );
    }
    if (e.begin > pos) {
      const after = prev
        ? `after tensor '${prev.name}' (ends at ${pos})`
        : 'at the start of the data section';
      fail(
        'GAP',
        where,
        `${e.begin - pos} unused bytes ${after} before tensor '${e.name}' (begins at ${e.begin})`,
      );
    }
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLength) {
    fail(
      'BAD_OFFSETS',
      where,
      `${dataLength - pos} bytes after the last tensor are not described by the header (data section ${dataLength} bytes)`,
    );
  }
}

/**
 * An open safetensors file: the validated header, with tensors read on demand.
 *
 * @example
 * const f: SafetensorsFile = openSafetensors('model.safetensors');
 * for (const name of f.entries.keys()) console.log(name, f.readF32(name).shape);
 * f.close();
 */
export interface SafetensorsFile {
  /** The file's path. */
  readonly path: string;
  /** `__metadata__` of the header. */
  readonly metadata: Record<string, string>;
  /** Every tensor, in data order. */
  readonly entries: ReadonlyMap<string, TensorEntry>;
  /** Absolute file offset where the data section starts. */
  readonly dataOffset: number;
  /** Whether the file holds a tensor of this name. */
  has(name: string): boolean;
  /**
   * Reads a floating-point tensor (F32/F16/BF16/F64) as float32. With `expectShape`, a different
   * shape is a clear error.
   */
  readF32(name: string, expectShape?: readonly number[]): { shape: number[]; data: Float32Array };
  /** Reads an integer/bool tensor as int32 (I64/U64/U32 values are range-checked). */
  readI32(name: string, expectShape?: readonly number[]): { shape: number[]; data: Int32Array };
  /** The raw little-endian bytes of a tensor. */
  readBytes(name: string): Uint8Array;
  /** Closes the file descriptor; later reads throw. */
  close(): void;
}

const LITTLE_ENDIAN = endianness() === 'LE';
/** Elements converted per read when a tensor needs conversion (bounds the scratch memory). */
const CHUNK_BYTES = 1 << 22;

function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function readFully(fd: number, target: Uint8Array, position: number, where: string): void {
  let done = 0;
  while (done < target.length) {
    const got = readSync(fd, target, done, Math.min(target.length - done, 1 << 30), position + done);
    if (got === 0)
      fail('TRUNCATED', where, `unexpected end of file at byte ${position + done} (file shrank?)`);
    done += got;
  }
}

/**
 * Opens a safetensors file: reads and validates only the header; tensors are read on demand.
 *
 * @example
 * const f = openSafetensors('model.safetensors');
 * const { shape, data } = f.readF32('transformer.wte.weight');
 * f.close();
 */
export function openSafetensors(path: string): SafetensorsFile {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) fail('INVALID_ARGUMENT', path, 'is a folder, not a safetensors file');
    const fileSize = stat.size;
    const head = new Uint8Array(Math.min(fileSize, 8));
    readFully(fd, head, 0, path);
    let buf = head;
    if (fileSize >= 8) {
      const n = new DataView(head.buffer).getBigUint64(0, true);
      if (n <= BigInt(MAX_HEADER_BYTES) && 8 + Number(n) <= fileSize) {
        buf = new Uint8Array(8 + Number(n));
        buf.set(head);
        readFully(fd, buf.subarray(8), 8, path);
      }
    }
    const header = parseSafetensorsHeader(buf, fileSize, path);
    return new SafetensorsReader(path, fd, header);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

class SafetensorsReader implements SafetensorsFile {
  readonly metadata: Record<string, string>;
  readonly entries: ReadonlyMap<string, TensorEntry>;
  readonly dataOffset: number;
  private fd: number | null;

  constructor(
    readonly path: string,
    fd: number,
    header: SafetensorsHeader,
  ) {
    this.fd = fd;
    this.metadata = header.metadata;
    this.entries = header.entries;
    this.dataOffset = header.dataOffset;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  private entry(name: string, expectShape?: readonly number[]): TensorEntry {
    const e = this.entries.get(name);
    if (!e)
      fail(
        'MISSING_TENSOR',
        this.path,
        `no tensor named '${name}' (${this.entries.size} tensors in the file)`,
      );
    if (
      expectShape &&
      (expectShape.length !== e.shape.length || expectShape.some((d, i) => d !== e.shape[i]))
    ) {
      fail(
        'WRONG_SHAPE',
        this.path,
        `tensor '${name}' has shape [${e.shape.join(', ')}], expected [${expectShape.join(', ')}]`,
      );
    }
    return e;
  }

  private descriptor(): number {
    if (this.fd === null) fail('CLOSED', this.path, 'file was closed');
    return this.fd;
  }

  readBytes(name: string): Uint8Array {
    const e = this.entry(name);
    const out = new Uint8Array(e.end - e.begin);
    readFully(this.descriptor(), out, this.dataOffset + e.begin, this.path);
    return out;
  }

  /** Streams a tensor's bytes in element-aligned chunks: `fn(bytes, firstElement)`. */
  private forEachChunk(e: TensorEntry, fn: (bytes: Uint8Array, first: number) => void): void {
    const size = DTYPE_BYTES[e.dtype];
    const total = e.end - e.begin;
    const chunk = Math.max(size, CHUNK_BYTES - (CHUNK_BYTES % size));
    const scratch = new Uint8Array(Math.min(chunk, total));
    const fd = this.descriptor();
    for (let off = 0; off < total; off += chunk) {
      const bytes = scratch.subarray(0, Math.min(chunk, total - off));
      readFully(fd, bytes, this.dataOffset + e.begin + off, this.path);
      if (!LITTLE_ENDIAN) swapBytes(bytes, size);
      fn(bytes, off / size);
    }
  }

  readF32(name: string, expectShape?: readonly number[]): { shape: number[]; data: Float32Array } {
    const e = this.entry(name, expectShape);
    if (!FLOAT_DTYPES.has(e.dtype)) {
      fail('WRONG_DTYPE', this.path, `tensor '${name}' is ${e.dtype}, not a float tensor (use readI32)`);
    }
    const n = shapeSize(e.shape);
    const data = new Float32Array(n);
    if (e.dtype === 'F32') {
      const bytes = new Uint8Array(data.buffer);
      readFully(this.descriptor(), bytes, this.dataOffset + e.begin, this.path);
      if (!LITTLE_ENDIAN) swapBytes(bytes, 4);
    } else {
      this.forEachChunk(e, (bytes, first) => {
        if (e.dtype === 'F64') {
          const src = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
          data.set(src, first);
        } else {
          const src = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
          (e.dtype === 'F16' ? decodeF16 : decodeBF16)(src, data, first);
        }
      });
    }
    return { shape: [...e.shape], data };
  }

  readI32(name: string, expectShape?: readonly number[]): { shape: number[]; data: Int32Array } {
    const e = this.entry(name, expectShape);
    if (FLOAT_DTYPES.has(e.dtype)) {
      fail('WRONG_DTYPE', this.path, `tensor '${name}' is ${e.dtype}, not an integer tensor (use readF32)`);
    }
    const data = new Int32Array(shapeSize(e.shape));
    if (e.dtype === 'I32') {
      const bytes = new Uint8Array(data.buffer);
      readFully(this.descriptor(), bytes, this.dataOffset + e.begin, this.path);
      if (!LITTLE_ENDIAN) swapBytes(bytes, 4);
      return { shape: [...e.shape], data };
    }
    const outOfRange = (v: bigint | number, i: number): never =>
      fail(
        'OUT_OF_RANGE',
        this.path,
        `tensor '${name}' (${e.dtype}) value ${v} at index ${i} does not fit in int32`,
      );
    this.forEachChunk(e, (bytes, first) => {
      const b = bytes.buffer;
      const o = bytes.byteOffset;
      switch (e.dtype) {
        case 'I64':
        case 'U64': {
          const src =
            e.dtype === 'I64'
              ? new BigInt64Array(b, o, bytes.length / 8)
              : new BigUint64Array(b, o, bytes.length / 8);
          for (let i = 0; i < src.length; i++) {
            const v = src[i];
            if (v > 2147483647n || v < -2147483648n) outOfRange(v, first + i);
            data[first + i] = Number(v);
          }
          break;
        }
        case 'U32': {
          const src = new Uint32Array(b, o, bytes.length / 4);
          for (let i = 0; i < src.length; i++) {
            if (src[i] > 2147483647) outOfRange(src[i], first + i);
            data[first + i] = src[i];
          }
          break;
        }
        case 'I16':
          data.set(new Int16Array(b, o, bytes.length / 2), first);
          break;
        case 'U16':
          data.set(new Uint16Array(b, o, bytes.length / 2), first);
          break;
        case 'I8':
          data.set(new Int8Array(b, o, bytes.length), first);
          break;
        default: // U8, BOOL
          data.set(bytes, first);
      }
    });
    return { shape: [...e.shape], data };
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

/**
 * A tensor to write: float data is `Float32Array`, integer data `Int32Array` or `BigInt64Array`.
 *
 * @example
 * const t: TensorToWrite = { dtype: 'BF16', shape: [2], data: new Float32Array([1, 2]) };
 */
export interface TensorToWrite {
  dtype: 'F32' | 'F16' | 'BF16' | 'I32' | 'I64';
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

/** Rust `Dtype` enum order; the Rust writer puts larger ranks first, then sorts by name. */
const DTYPE_RANK: Record<TensorToWrite['dtype'], number> = { F16: 11, BF16: 12, I32: 13, F32: 15, I64: 18 };

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function validateTensor(name: string, t: TensorToWrite, where: string): void {
  const bad = (msg: string): never => fail('INVALID_ARGUMENT', where, `tensor '${name}': ${msg}`);
  if (name === '' || name === '__metadata__') bad('invalid tensor name');
  if (!(t.dtype in DTYPE_RANK))
    bad(`cannot write dtype '${t.dtype}' (F32, F16, BF16, I32, I64 are supported)`);
  if (!Array.isArray(t.shape) || !t.shape.every(isSafeNonNegInt))
    bad(`invalid shape ${JSON.stringify(t.shape)}`);
  const n = shapeSize(t.shape);
  if (t.data.length !== n)
    bad(`shape [${t.shape.join(', ')}] has ${n} elements but data has ${t.data.length}`);
  const isFloat = t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16';
  if (isFloat && !(t.data instanceof Float32Array)) bad(`${t.dtype} data must be a Float32Array`);
  if (!isFloat && !(t.data instanceof Int32Array || t.data instanceof BigInt64Array)) {
    bad(`${t.dtype} data must be an Int32Array or BigInt64Array`);
  }
}

function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
}

/** Writes one tensor's bytes in bounded chunks (no full-size temporary for conversions). */
function writeTensorData(fd: number, name: string, t: TensorToWrite, where: string): void {
  const size = DTYPE_BYTES[t.dtype];
  const chunkElems = Math.max(1, Math.floor(CHUNK_BYTES / 8));
  const direct =
    LITTLE_ENDIAN &&
    ((t.dtype === 'F32' && t.data instanceof Float32Array) ||
      (t.dtype === 'I32' && t.data instanceof Int32Array) ||
      (t.dtype === 'I64' && t.data instanceof BigInt64Array));
  if (direct) {
    writeFully(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    return;
  }
  const scratch = new ArrayBuffer(Math.min(t.data.length, chunkElems) * size);
  for (let first = 0; first < t.data.length; first += chunkElems) {
    const count = Math.min(chunkElems, t.data.length - first);
    const bytes = new Uint8Array(scratch, 0, count * size);
    const src = t.data.subarray(first, first + count);
    switch (t.dtype) {
      case 'F16':
        encodeF16(src as Float32Array, new Uint16Array(scratch, 0, count));
        break;
      case 'BF16':
        encodeBF16(src as Float32Array, new Uint16Array(scratch, 0, count));
        break;
      case 'F32':
        new Float32Array(scratch, 0, count).set(src as Float32Array);
        break;
      case 'I64': {
        const out = new BigInt64Array(scratch, 0, count);
        for (let i = 0; i < count; i++) out[i] = BigInt(src[i]);
        break;
      }
      case 'I32': {
        const out = new Int32Array(scratch, 0, count);
        for (let i = 0; i < count; i++) {
          const v = src[i];
          if (typeof v === 'bigint' && (v > 2147483647n || v < -2147483648n)) {
            fail(
              'OUT_OF_RANGE',
              where,
              `tensor '${name}': value ${v} at index ${first + i} does not fit in I32`,
            );
          }
          out[i] = Number(v);
        }
        break;
      }
    }
    if (!LITTLE_ENDIAN) swapBytes(bytes, size);
    writeFully(fd, bytes);
  }
}

/**
 * Builds the header bytes for `tensors` the way the Rust library does: `__metadata__` first, tensors
 * ordered by dtype (larger-rank dtypes such as I64 and F32 first) then name, compact JSON padded
 * with spaces so the data section starts 8-byte aligned. Returns the order used for the data.
 */
function buildHeader(
  tensors: Record<string, TensorToWrite>,
  metadata: Record<string, string> | undefined,
): { header: Uint8Array; order: string[] } {
  const order = Object.keys(tensors).sort(
    (a, b) => DTYPE_RANK[tensors[b].dtype] - DTYPE_RANK[tensors[a].dtype] || compareUtf8(a, b),
  );
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const name of order) {
    const t = tensors[name];
    const bytes = shapeSize(t.shape) * DTYPE_BYTES[t.dtype];
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`,
    );
    offset += bytes;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const header = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(json, 8);
  return { header, order };
}

/**
 * Writes tensors to a safetensors file, atomically: everything goes to a temporary file in the same
 * folder which is renamed over `path` only once complete; on any error the temporary file is removed
 * and an existing `path` is left untouched. Float tensors are converted to F16/BF16 with
 * round-to-nearest-even.
 *
 * @example
 * writeSafetensors('sae.safetensors', {
 *   W_enc: { dtype: 'F32', shape: [2, 3], data: new Float32Array(6) },
 *   steps: { dtype: 'I64', shape: [], data: new BigInt64Array([1000n]) },
 * }, { format: 'pt' });
 */
export function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): void {
  for (const [name, t] of Object.entries(tensors)) validateTensor(name, t, path);
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail('INVALID_ARGUMENT', path, `metadata '${k}' must be a string`);
    }
  }
  const { header, order } = buildHeader(tensors, metadata);
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`,
  );
  const fd = openSync(tmp, 'wx');
  let closed = false;
  try {
    writeFully(fd, header);
    for (const name of order) writeTensorData(fd, name, tensors[name], path);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, path);
  } catch (e) {
    if (!closed) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
}
