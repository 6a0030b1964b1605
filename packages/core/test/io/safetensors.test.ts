import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  f32ToBF16Bits,
  f32ToF16Bits,
  openSafetensors,
  parseSafetensorsHeader,
  SafetensorsError,
  writeSafetensors,
} from '../../src/io/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const MODELS = ['gpt2', 'gpt_neox', 'llama', 'qwen2'];
const tmp = mkdtempSync(join(tmpdir(), 'mechlens-st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Independent minimal reader: header via JSON.parse, values via DataView. */
function naiveRead(path: string) {
  const b = readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const values = (name: string): number[] => {
    const {
      dtype,
      data_offsets: [s, e],
    } = header[name];
    const dv = new DataView(b.buffer, b.byteOffset + 8 + n + s, e - s);
    const out: number[] = [];
    if (dtype === 'F32') for (let i = 0; i < (e - s) / 4; i++) out.push(dv.getFloat32(i * 4, true));
    else if (dtype === 'I64')
      for (let i = 0; i < (e - s) / 8; i++) out.push(Number(dv.getBigInt64(i * 8, true)));
    else throw new Error(dtype);
    return out;
  };
  return { header, values };
}

/** A safetensors file from a raw header object and data bytes. */
function rawFile(
  header: unknown,
  data: Uint8Array | number,
  opts: { headerText?: string; lengthField?: bigint } = {},
) {
  const json = Buffer.from(opts.headerText ?? JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(opts.lengthField ?? BigInt(json.length));
  const bytes = typeof data === 'number' ? new Uint8Array(data) : data;
  return Buffer.concat([len, json, bytes]);
}

function expectError(fn: () => unknown, code: string, message: RegExp) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    expect((e as SafetensorsError).code).toBe(code);
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error(`expected ${code}`);
}

const parse = (file: Buffer) => parseSafetensorsHeader(file, file.length, 'x.safetensors');

describe('reading the fixtures', () => {
  for (const model of MODELS) {
    for (const which of ['model', 'reference']) {
      it(`${model}/${which}.safetensors: every tensor equals an independent DataView read`, () => {
        const path = join(FIXTURES, model, `${which}.safetensors`);
        const ref = naiveRead(path);
        const f = openSafetensors(path);
        try {
          const names = Object.keys(ref.header).filter((k) => k !== '__metadata__');
          expect([...f.entries.keys()].sort()).toEqual(names.sort());
          expect(f.metadata).toEqual(ref.header.__metadata__);
          for (const name of names) {
            const h = ref.header[name];
            const { shape, data } =
              h.dtype === 'I64'
                ? f.readI32(name)
                : (f.readF32(name) as { shape: number[]; data: ArrayLike<number> });
            expect(shape).toEqual(h.shape);
            const want = ref.values(name);
            expect(data.length).toBe(want.length);
            for (let i = 0; i < want.length; i++) {
              if (!Object.is(data[i], want[i])) throw new Error(`${name}[${i}]: ${data[i]} vs ${want[i]}`);
            }
          }
        } finally {
          f.close();
        }
      });
    }
  }

  it('reads known shapes and int inputs; refuses the wrong reader and closed files', () => {
    const f = openSafetensors(join(FIXTURES, 'gpt2', 'reference.safetensors'));
    expect(f.entries.get('input_ids')?.dtype).toBe('I64');
    const ids = f.readI32('input_ids');
    expect(ids.data.every((v) => v >= 0 && v < 211)).toBe(true);
    expectError(() => f.readF32('input_ids'), 'WRONG_DTYPE', /input_ids.*I64.*readI32/);
    expectError(() => f.readI32('logits'), 'WRONG_DTYPE', /logits.*F32/);
    expectError(() => f.readF32('nope'), 'MISSING_TENSOR', /no tensor named 'nope'/);
    expectError(() => f.readF32('logits', [1, 2, 3]), 'WRONG_SHAPE', /logits.*expected \[1, 2, 3\]/);
    f.close();
    expectError(() => f.readF32('logits'), 'CLOSED', /closed/);
    f.close(); // idempotent
    const m = openSafetensors(join(FIXTURES, 'gpt2', 'model.safetensors'));
    expect(m.readF32('transformer.wte.weight', [211, 64]).data.length).toBe(211 * 64);
    m.close();
  });
});

describe('writing', () => {
  it('re-writes the fixtures byte for byte (same layout as the Rust library)', () => {
    for (const model of MODELS) {
      for (const which of ['model', 'reference']) {
        const src = join(FIXTURES, model, `${which}.safetensors`);
        const f = openSafetensors(src);
        const tensors: Parameters<typeof writeSafetensors>[1] = {};
        for (const [name, e] of f.entries) {
          tensors[name] =
            e.dtype === 'I64'
              ? { dtype: 'I64', shape: e.shape, data: f.readI32(name).data }
              : { dtype: 'F32', shape: e.shape, data: f.readF32(name).data };
        }
        const out = join(tmp, `${model}-${which}.safetensors`);
        writeSafetensors(out, tensors, f.metadata);
        f.close();
        expect(readFileSync(out).equals(readFileSync(src))).toBe(true);
      }
    }
  });

  it('round-trips every writable dtype, with F16/BF16 rounding', () => {
    const vals = new Float32Array([
      0,
      -0,
      1,
      -2.5,
      65504,
      1e-7,
      3.3,
      Number.POSITIVE_INFINITY,
      Number.NaN,
      1e5,
    ]);
    const path = join(tmp, 'rt.safetensors');
    writeSafetensors(
      path,
      {
        f32: { dtype: 'F32', shape: [2, 5], data: vals },
        f16: { dtype: 'F16', shape: [10], data: vals },
        bf16: { dtype: 'BF16', shape: [5, 2], data: vals },
        i32: { dtype: 'I32', shape: [3], data: new Int32Array([-(2 ** 31), 0, 2 ** 31 - 1]) },
        i64: { dtype: 'I64', shape: [2], data: new BigInt64Array([-5n, 2n ** 31n - 1n]) },
        i64from32: { dtype: 'I64', shape: [1], data: new Int32Array([-7]) },
        scalar: { dtype: 'F32', shape: [], data: new Float32Array([42]) },
        empty: { dtype: 'F16', shape: [0, 3], data: new Float32Array(0) },
      },
      { note: 'hello' },
    );
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const f = openSafetensors(path);
    expect(f.metadata).toEqual({ note: 'hello' });
    expect([...f.entries.values()].map((e) => [e.name, e.dtype])).toEqual([
      ['i64', 'I64'],
      ['i64from32', 'I64'],
      ['f32', 'F32'],
      ['scalar', 'F32'],
      ['i32', 'I32'],
      ['bf16', 'BF16'],
      ['empty', 'F16'],
      ['f16', 'F16'],
    ]);
    expect([...f.readF32('f32').data]).toEqual([...vals]);
    expect(f.readF32('f32').shape).toEqual([2, 5]);
    const f16 = f.readF32('f16').data;
    const bf = f.readF32('bf16').data;
    // decoded values are exactly the nearest representable ones
    const f16bits = new Uint16Array(bytes.buffer, bytes.byteOffset + 8 + n + f.entries.get('f16')!.begin, 10);
    expect([...f16bits]).toEqual([...vals].map(f32ToF16Bits));
    expect([...f16].slice(0, 8)).toEqual([
      0,
      -0,
      1,
      -2.5,
      65504,
      1.1920928955078125e-7,
      3.30078125,
      Number.POSITIVE_INFINITY,
    ]);
    expect(Number.isNaN(f16[8])).toBe(true);
    expect(f16[9]).toBe(Number.POSITIVE_INFINITY); // 1e5 overflows binary16
    const bfbits = new Uint16Array(bytes.buffer, bytes.byteOffset + 8 + n + f.entries.get('bf16')!.begin, 10);
    expect([...bfbits]).toEqual([...vals].map(f32ToBF16Bits));
    expect(bf[6]).toBe(3.296875);
    expect(bf[9]).toBe(99840);
    expect([...f.readI32('i32').data]).toEqual([-(2 ** 31), 0, 2 ** 31 - 1]);
    expect([...f.readI32('i64').data]).toEqual([-5, 2 ** 31 - 1]);
    expect([...f.readI32('i64from32').data]).toEqual([-7]);
    expect(f.readF32('scalar')).toEqual({ shape: [], data: new Float32Array([42]) });
    expect(f.readF32('empty')).toEqual({ shape: [0, 3], data: new Float32Array(0) });
    f.close();
  });

  it('reads F16/BF16/F64/U8/I8/I16/U16/U32/BOOL and range-checks I64/U32 when converting to int32', () => {
    const tensors: Record<string, { dtype: string; shape: number[]; bytes: Buffer }> = {
      f64: { dtype: 'F64', shape: [2], bytes: Buffer.from(new Float64Array([1.5, -1e300]).buffer) },
      f16: { dtype: 'F16', shape: [3], bytes: Buffer.from(new Uint16Array([0x3c00, 0x0001, 0xfc00]).buffer) },
      bf16: { dtype: 'BF16', shape: [2], bytes: Buffer.from(new Uint16Array([0x3f80, 0x7fc0]).buffer) },
      u8: { dtype: 'U8', shape: [2], bytes: Buffer.from([255, 1]) },
      i8: { dtype: 'I8', shape: [2], bytes: Buffer.from([255, 1]) },
      bool: { dtype: 'BOOL', shape: [2], bytes: Buffer.from([1, 0]) },
      i16: { dtype: 'I16', shape: [1], bytes: Buffer.from(new Int16Array([-300]).buffer) },
      u16: { dtype: 'U16', shape: [1], bytes: Buffer.from(new Uint16Array([65535]).buffer) },
      u32: { dtype: 'U32', shape: [1], bytes: Buffer.from(new Uint32Array([2 ** 32 - 1]).buffer) },
      big: { dtype: 'I64', shape: [2], bytes: Buffer.from(new BigInt64Array([1n, 2n ** 40n]).buffer) },
    };
    const header: Record<string, unknown> = {};
    let off = 0;
    const parts: Buffer[] = [];
    for (const [name, t] of Object.entries(tensors)) {
      header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length] };
      off += t.bytes.length;
      parts.push(t.bytes);
    }
    const path = join(tmp, 'dtypes.safetensors');
    writeFileSync(path, rawFile(header, Buffer.concat(parts)));
    const f = openSafetensors(path);
    expect([...f.readF32('f64').data]).toEqual([1.5, Number.NEGATIVE_INFINITY]);
    expect([...f.readF32('f16').data]).toEqual([1, 2 ** -24, Number.NEGATIVE_INFINITY]);
    const b = f.readF32('bf16').data;
    expect(b[0]).toBe(1);
    expect(Number.isNaN(b[1])).toBe(true);
    expect([...f.readI32('u8').data]).toEqual([255, 1]);
    expect([...f.readI32('i8').data]).toEqual([-1, 1]);
    expect([...f.readI32('bool').data]).toEqual([1, 0]);
    expect([...f.readI32('i16').data]).toEqual([-300]);
    expect([...f.readI32('u16').data]).toEqual([65535]);
    expectError(() => f.readI32('u32'), 'OUT_OF_RANGE', /4294967295 at index 0/);
    expectError(
      () => f.readI32('big'),
      'OUT_OF_RANGE',
      /'big' \(I64\) value 1099511627776 at index 1 does not fit in int32/,
    );
    expect([...f.readBytes('u8')]).toEqual([255, 1]);
    f.close();
  });

  it('converts large F16/BF16 tensors chunk by chunk', () => {
    const n = 3_000_017; // several 4 MiB chunks, not a multiple of the chunk size
    const src = new Float32Array(n);
    for (let i = 0; i < n; i++) src[i] = ((i % 2001) - 1000) / 64;
    const path = join(tmp, 'big.safetensors');
    writeSafetensors(path, {
      a: { dtype: 'F16', shape: [n], data: src },
      b: { dtype: 'BF16', shape: [n], data: src },
    });
    const f = openSafetensors(path);
    const a = f.readF32('a').data;
    const b = f.readF32('b').data;
    f.close();
    // every value is k/64 with |k| ≤ 1000: exact in binary16; bfloat16 keeps 8 significant bits
    for (let i = 0; i < n; i += 997) {
      if (a[i] !== src[i]) throw new Error(`F16 ${i}: ${a[i]} vs ${src[i]}`);
      const bits = f32ToBF16Bits(src[i]);
      const want = new Float32Array(new Uint32Array([bits << 16]).buffer)[0];
      if (b[i] !== want) throw new Error(`BF16 ${i}: ${b[i]} vs ${want}`);
    }
    expect(a[n - 1]).toBe(src[n - 1]);
  });

  it('validates its input and leaves no file (and an existing file intact) on error', () => {
    const path = join(tmp, 'atomic.safetensors');
    writeSafetensors(path, { x: { dtype: 'F32', shape: [1], data: new Float32Array([7]) } });
    const before = readFileSync(path);
    const cases: [Parameters<typeof writeSafetensors>[1], RegExp][] = [
      [{ x: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }, /4 elements but data has 3/],
      [{ x: { dtype: 'F16', shape: [1], data: new Int32Array(1) } }, /Float32Array/],
      [{ x: { dtype: 'I32', shape: [1], data: new Float32Array(1) } }, /Int32Array or BigInt64Array/],
      [{ x: { dtype: 'F32', shape: [-1], data: new Float32Array(0) } }, /invalid shape/],
      [{ __metadata__: { dtype: 'F32', shape: [0], data: new Float32Array(0) } }, /invalid tensor name/],
      [{ x: { dtype: 'U8' as 'F32', shape: [1], data: new Float32Array(1) } }, /cannot write dtype 'U8'/],
      // fails halfway through writing the data: 2^40 does not fit I32
      [
        {
          a: { dtype: 'F32', shape: [1000], data: new Float32Array(1000) },
          x: { dtype: 'I32', shape: [2], data: new BigInt64Array([1n, 2n ** 40n]) },
        },
        /value 1099511627776 at index 1 does not fit in I32/,
      ],
    ];
    for (const [tensors, msg] of cases) {
      expect(() => writeSafetensors(path, tensors)).toThrow(msg);
      expect(readFileSync(path).equals(before)).toBe(true);
    }
    expect(() => writeSafetensors(path, {}, { a: 1 as unknown as string })).toThrow(
      /metadata 'a' must be a string/,
    );
    // rename onto a folder fails after the data was written: the temporary file is removed
    const dirTarget = join(tmp, 'a-folder');
    const fresh = join(tmp, 'never.safetensors');
    expect(() =>
      writeSafetensors(fresh, { x: { dtype: 'I32', shape: [1], data: new BigInt64Array([2n ** 33n]) } }),
    ).toThrow(/does not fit/);
    expect(existsSync(fresh)).toBe(false);
    mkdirSync(dirTarget);
    expect(() =>
      writeSafetensors(dirTarget, { x: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }),
    ).toThrow();
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('header validation', () => {
  const good = { __metadata__: { format: 'pt' }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  it('accepts a well-formed header, with or without metadata', () => {
    expect([...parse(rawFile(good, 8)).entries.keys()]).toEqual(['a']);
    expect(parse(rawFile({}, 0)).entries.size).toBe(0);
  });

  it('rejects a truncated file', () => {
    const full = readFileSync(join(FIXTURES, 'gpt2', 'model.safetensors'));
    const cut = full.subarray(0, full.length - 100);
    const path = join(tmp, 'cut.safetensors');
    writeFileSync(path, cut);
    expectError(
      () => openSafetensors(path),
      'TRUNCATED',
      /file truncated.*only \d+.*transformer\.wte\.weight/,
    );
    writeFileSync(path, full.subarray(0, 5));
    expectError(() => openSafetensors(path), 'TRUNCATED', /5 bytes, too short/);
    writeFileSync(path, full.subarray(0, 100)); // cut inside the header
    expectError(
      () => openSafetensors(path),
      'HEADER_LENGTH',
      /header length 2624 goes beyond the end of the file \(100 bytes\)/,
    );
  });

  it('rejects header lengths beyond the file or the 100 MB limit', () => {
    expectError(() => parse(rawFile(good, 8, { lengthField: 10_000n })), 'HEADER_LENGTH', /beyond the end/);
    expectError(() => parse(rawFile(good, 8, { lengthField: 2n ** 63n })), 'HEADER_LENGTH', /exceeds/);
  });

  it('rejects a header that is not a JSON object', () => {
    expectError(() => parse(rawFile(null, 0, { headerText: '{"a": ' })), 'HEADER_NOT_JSON', /not valid JSON/);
    expectError(() => parse(rawFile(null, 0, { headerText: '[1,2]' })), 'HEADER_NOT_JSON', /start with '\{'/);
    expectError(() => parse(rawFile(null, 0, { headerText: '\xff' })), 'HEADER_NOT_JSON', /start with/);
    const badUtf8 = Buffer.concat([Buffer.from('{"a'), Buffer.from([0xc3, 0x28]), Buffer.from('":1}')]);
    const raw = Buffer.concat([Buffer.from([badUtf8.length, 0, 0, 0, 0, 0, 0, 0]), badUtf8]);
    expectError(() => parse(raw), 'HEADER_NOT_JSON', /UTF-8/);
    expectError(() => parse(rawFile({ a: 3 }, 0)), 'HEADER_INVALID', /tensor 'a' is not an object/);
    expectError(
      () => parse(rawFile({ __metadata__: { v: 1 } }, 0)),
      'HEADER_INVALID',
      /__metadata__\.v is not a string/,
    );
  });

  it('rejects bad shapes and offsets fields', () => {
    const t = (o: unknown) => rawFile({ a: o }, 8);
    expectError(
      () => parse(t({ dtype: 'F32', shape: [2.5], data_offsets: [0, 8] })),
      'HEADER_INVALID',
      /invalid shape/,
    );
    expectError(
      () => parse(t({ dtype: 'F32', shape: [-2], data_offsets: [0, 8] })),
      'HEADER_INVALID',
      /invalid shape/,
    );
    expectError(
      () => parse(t({ dtype: 'F32', shape: [2], data_offsets: [0] })),
      'HEADER_INVALID',
      /data_offsets/,
    );
    expectError(
      () => parse(t({ dtype: 'F32', shape: [2], data_offsets: [8, 0] })),
      'BAD_OFFSETS',
      /end before begin/,
    );
    expectError(() => parse(t({ shape: [2], data_offsets: [0, 8] })), 'HEADER_INVALID', /no dtype/);
  });

  it('rejects unknown dtypes, naming the tensor', () => {
    expectError(
      () => parse(rawFile({ a: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, 8)),
      'UNKNOWN_DTYPE',
      /tensor 'a' has dtype 'Q4' \(not a safetensors dtype\); supported: F64, F32/,
    );
    expectError(
      () => parse(rawFile({ a: { dtype: 'F8_E4M3', shape: [8], data_offsets: [0, 8] } }, 8)),
      'UNKNOWN_DTYPE',
      /mechlens does not read/,
    );
  });

  it('rejects shape × dtype size that disagrees with the byte range', () => {
    expectError(
      () => parse(rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)),
      'SIZE_MISMATCH',
      /tensor 'a': shape \[3\] × F32 \(4 bytes\) = 12 bytes, but data_offsets \[0, 8\] span 8 bytes/,
    );
  });

  it('rejects offsets outside the data, overlaps, gaps and trailing bytes', () => {
    const two = (a: [number, number], b: [number, number], size: number) =>
      rawFile(
        {
          a: { dtype: 'F32', shape: [(a[1] - a[0]) / 4], data_offsets: a },
          b: { dtype: 'F32', shape: [(b[1] - b[0]) / 4], data_offsets: b },
        },
        size,
      );
    expect(parse(two([0, 8], [8, 16], 16)).entries.size).toBe(2);
    expectError(
      () => parse(two([0, 8], [1000, 1008], 16)),
      'BAD_OFFSETS',
      /'b'.*\[1000, 1008\] outside the data section \(16 bytes\)/,
    );
    expectError(() => parse(two([0, 8], [4, 12], 12)), 'OVERLAP', /'a' \[0, 8\] and 'b' \[4, 12\] overlap/);
    expectError(() => parse(two([0, 8], [0, 8], 8)), 'OVERLAP', /overlap/);
    expectError(
      () => parse(two([0, 8], [12, 20], 20)),
      'GAP',
      /4 unused bytes after tensor 'a'.*before tensor 'b'/,
    );
    expectError(() => parse(two([4, 12], [12, 20], 20)), 'GAP', /at the start of the data section/);
    expectError(
      () => parse(two([0, 8], [8, 16], 24)),
      'BAD_OFFSETS',
      /8 bytes after the last tensor are not described/,
    );
  });

  it('refuses a folder', () => {
    expectError(() => openSafetensors(tmp), 'INVALID_ARGUMENT', /is a folder, not a safetensors file/);
  });

  it('opening a bad file reports the path and closes the descriptor', () => {
    const path = join(tmp, 'bad.safetensors');
    writeFileSync(path, rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8));
    expectError(
      () => openSafetensors(path),
      'SIZE_MISMATCH',
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
    );
    if (existsSync('/proc/self/fd')) {
      const before = readdirSync('/proc/self/fd').length;
      for (let i = 0; i < 50; i++) expect(() => openSafetensors(path)).toThrow(SafetensorsError);
      expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(before);
    }
  });
});
