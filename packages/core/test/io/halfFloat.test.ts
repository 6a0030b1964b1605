import { describe, expect, it } from 'vitest';
import {
  decodeBF16,
  decodeF16,
  encodeBF16,
  encodeF16,
  f32ToBF16Bits,
  f32ToF16Bits,
} from '../../src/io/index.js';

/** Independent binary16 decoder: the IEEE formula in float64. */
function refF16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f16 = (bits: number[]) => {
  const out = new Float32Array(bits.length);
  decodeF16(new Uint16Array(bits), out);
  return [...out];
};
const bf16 = (bits: number[]) => {
  const out = new Float32Array(bits.length);
  decodeBF16(new Uint16Array(bits), out);
  return [...out];
};

describe('F16 decoding', () => {
  it('decodes known bit patterns', () => {
    expect(f16([0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x3555])).toEqual([
      0,
      -0,
      1,
      -2,
      65504,
      2 ** -14,
      2 ** -24, // smallest subnormal
      1023 * 2 ** -24, // largest subnormal
      0.333251953125,
    ]);
    expect(Object.is(f16([0x8000])[0], -0)).toBe(true);
    expect(f16([0x7c00, 0xfc00])).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(f16([0x7e00, 0x7c01, 0xfe00]).every(Number.isNaN)).toBe(true);
  });

  it('matches the IEEE formula on all 65536 patterns and round-trips through the encoder', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = new Float32Array(65536);
    decodeF16(all, out);
    const back = new Uint16Array(65536);
    encodeF16(out, back);
    for (let h = 0; h < 65536; h++) {
      const ref = refF16(h);
      if (Number.isNaN(ref)) {
        expect(Number.isNaN(out[h])).toBe(true);
        expect((back[h] & 0x7c00) === 0x7c00 && (back[h] & 0x3ff) !== 0).toBe(true);
        expect(back[h] & 0x8000).toBe(h & 0x8000);
      } else {
        if (out[h] !== ref) throw new Error(`0x${h.toString(16)} → ${out[h]}, want ${ref}`);
        if (back[h] !== h) throw new Error(`0x${h.toString(16)} re-encoded as 0x${back[h].toString(16)}`);
      }
    }
  });
});

describe('F16 encoding', () => {
  it('rounds to nearest, ties to even, including subnormals and overflow', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even (down)
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // above the tie
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65519)).toBe(0x7bff); // below the halfway point to 65536
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // halfway → rounds to even = Inf
    expect(f32ToF16Bits(-1e6)).toBe(0xfc00);
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001);
    expect(f32ToF16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal → even (0)
    expect(f32ToF16Bits(1.5 * 2 ** -25)).toBe(0x0001);
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // tie between 1 and 2 → 2
    expect(f32ToF16Bits(-(2 ** -30))).toBe(0x8000); // underflow keeps the sign
    expect(f32ToF16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the smallest normal
    expect(f32ToF16Bits(1e-45)).toBe(0); // float32 subnormal
    expect(f32ToF16Bits(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(f32ToF16Bits(Number.NaN) & 0x7e00).toBe(0x7e00);
  });

  it('picks the nearest binary16 for random float32 values', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 20000; i++) {
      const x = Math.fround((rand() - 0.5) * 2 ** Math.floor(rand() * 44 - 28));
      const h = f32ToF16Bits(x);
      const v = refF16(h);
      // no other finite binary16 is strictly closer
      for (const n of [h - 1, h + 1, h ^ 0x8000]) {
        if ((n & 0x7c00) === 0x7c00 || n < 0 || n > 0xffff) continue;
        const d = Math.abs(refF16(n) - x);
        if (d < Math.abs(v - x) && Number.isFinite(v))
          throw new Error(`${x}: 0x${h.toString(16)} not nearest`);
      }
    }
  });
});

describe('BF16', () => {
  it('decodes known bit patterns exactly', () => {
    expect(bf16([0x3f80, 0xc000, 0x0000, 0x8000, 0x7f7f, 0x0001, 0x7f80, 0xff80])).toEqual([
      1,
      -2,
      0,
      -0,
      3.3895313892515355e38,
      9.183549615799121e-41, // subnormal
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    expect(Number.isNaN(bf16([0x7fc0])[0])).toBe(true);
  });

  it('encodes with round-to-nearest-even and keeps NaN', () => {
    expect(f32ToBF16Bits(1)).toBe(0x3f80);
    expect(f32ToBF16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(f32ToBF16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie → even (up)
    expect(f32ToBF16Bits(3.4e38)).toBe(0x7f80); // overflow → Inf
    expect(f32ToBF16Bits(Number.NEGATIVE_INFINITY)).toBe(0xff80);
    const nan = f32ToBF16Bits(Number.NaN);
    expect((nan & 0x7f80) === 0x7f80 && (nan & 0x7f) !== 0).toBe(true);
    const all = new Uint16Array(65536).map((_, i) => i);
    const f = new Float32Array(65536);
    decodeBF16(all, f);
    const back = new Uint16Array(65536);
    encodeBF16(f, back);
    for (let h = 0; h < 65536; h++) {
      const nan = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      if (!nan && back[h] !== h) throw new Error(`bf16 0x${h.toString(16)} → 0x${back[h].toString(16)}`);
    }
  });
});
