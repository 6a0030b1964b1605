/**
 * Bit-exact conversions between float32 and the 16-bit float formats stored in checkpoints:
 * IEEE 754 binary16 (`F16`) and bfloat16 (`BF16`). Decoding is exact (every 16-bit value is a
 * float32); encoding rounds to nearest, ties to even, overflows to ±Inf, keeps NaN a NaN (quiet).
 */

let f16Table: Uint32Array | undefined;

/** float32 bit pattern of one binary16 bit pattern. */
function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // ±Inf, NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // normal: rebias 15 → 127
  if (mant === 0) return sign >>> 0; // ±0
  // subnormal: mant · 2^-24; normalise the leading one into the implicit bit
  let e = 113; // exponent field of 2^-14
  let m = mant;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e -= 1;
  }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

function table(): Uint32Array {
  if (!f16Table) {
    f16Table = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToF32Bits(h);
  }
  return f16Table;
}

/**
 * Decodes binary16 values into float32 (exact, NaN payloads kept).
 *
 * @example
 * const out = new Float32Array(2);
 * decodeF16(new Uint16Array([0x3c00, 0xfc00]), out); // out = [1, -Infinity]
 */
export function decodeF16(src: Uint16Array, out: Float32Array, outOffset = 0): void {
  const t = table();
  const o = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, src.length);
  for (let i = 0; i < src.length; i++) o[i] = t[src[i]];
}

/**
 * Decodes bfloat16 values into float32 (exact: bfloat16 is the top half of a float32).
 *
 * @example
 * const out = new Float32Array(1);
 * decodeBF16(new Uint16Array([0x3f80]), out); // out = [1]
 */
export function decodeBF16(src: Uint16Array, out: Float32Array, outOffset = 0): void {
  const o = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, src.length);
  for (let i = 0; i < src.length; i++) o[i] = src[i] << 16;
}

const scratchF = new Float32Array(1);
const scratchU = new Uint32Array(scratchF.buffer);

/**
 * Rounds one number to the nearest binary16 and returns its bit pattern.
 *
 * @example
 * f32ToF16Bits(1); // 0x3c00
 * f32ToF16Bits(65520); // 0x7c00 (+Inf: rounds past the largest finite half, 65504)
 */
export function f32ToF16Bits(x: number): number {
  scratchF[0] = x;
  return f32BitsToF16Bits(scratchU[0]);
}

function f32BitsToF16Bits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13); // Inf / quiet NaN
  const e = exp - 112; // half exponent field
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // result is subnormal (or zero): value in units of 2^-24 is (1.mant · 2^23) >> (14 - e)
    const shift = 14 - e;
    if (shift > 24) return sign; // below half of the smallest subnormal: rounds to zero
    const m = mant | 0x800000;
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h += 1;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h += 1; // a carry into the exponent is correct
  return sign | h;
}

/**
 * Rounds one number to the nearest bfloat16 and returns its bit pattern.
 *
 * @example
 * f32ToBF16Bits(1); // 0x3f80
 */
export function f32ToBF16Bits(x: number): number {
  scratchF[0] = x;
  return f32BitsToBF16Bits(scratchU[0]);
}

function f32BitsToBF16Bits(b: number): number {
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x40; // NaN stays a (quiet) NaN
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Encodes float32 values as binary16 bit patterns (round to nearest even).
 *
 * @example
 * const out = new Uint16Array(1);
 * encodeF16(new Float32Array([0.5]), out); // out = [0x3800]
 */
export function encodeF16(src: Float32Array, out: Uint16Array): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < u.length; i++) out[i] = f32BitsToF16Bits(u[i]);
}

/**
 * Encodes float32 values as bfloat16 bit patterns (round to nearest even).
 *
 * @example
 * const out = new Uint16Array(1);
 * encodeBF16(new Float32Array([0.5]), out); // out = [0x3f00]
 */
export function encodeBF16(src: Float32Array, out: Uint16Array): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < u.length; i++) out[i] = f32BitsToBF16Bits(u[i]);
}
