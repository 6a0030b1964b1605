/**
 * Native elementwise kernels over tfjs's `cpu` backend: binary ops with full tfjs broadcasting (Add,
 * Sub, Multiply, RealDiv, Maximum, Minimum, Pow, SquaredDifference, FloorDiv, Mod, Atan2, Prelu,
 * comparisons, LogicalAnd/Or), the unary ops of `elementwise-unary.ts`, Select, AddN, ZerosLike and
 * OnesLike. Float32 everywhere; int32 for Add/Sub/Multiply/Maximum/Minimum/SquaredDifference/Mod/
 * FloorDiv and the comparisons; bool for comparisons and logical ops. Other cases return `null`, so
 * tfjs's own kernel runs. Results match tfjs's pure-JS kernels (exactly for arithmetic, comparisons,
 * rounding and casts; within ~2 float ulps for the transcendental functions).
 */
import {
  Add,
  AddN,
  Atan2,
  backend_util,
  Equal,
  FloorDiv,
  Greater,
  GreaterEqual,
  Less,
  LessEqual,
  LogicalAnd,
  LogicalOr,
  Maximum,
  Minimum,
  Mod,
  Multiply,
  NotEqual,
  OnesLike,
  Pow,
  Prelu,
  RealDiv,
  Select,
  SquaredDifference,
  Sub,
  type TensorInfo,
  ZerosLike,
} from '@tensorflow/tfjs-core';
import { type NativeKernel, overrideKernel, sizeOf } from '../register.js';
import {
  EW_BINARY,
  type EwArray,
  type EwDtype,
  ewAlloc,
  ewBinding,
  ewValues,
  isEwDtype,
} from './elementwise-binding.js';
import { registerUnaryKernels } from './elementwise-unary.js';

/** How one tfjs binary kernel maps onto the addon's `ewBinary`. */
interface BinarySpec {
  code: number;
  /** Input dtypes handled (both inputs have the same dtype). */
  dtypes: readonly EwDtype[];
  /** Output dtype; the input dtype when absent. */
  out?: EwDtype;
  /** Input names (tfjs uses `a`, `b` except Prelu's `x`, `alpha`). */
  names?: readonly [string, string];
}

const F = ['float32'] as const;
const FI = ['float32', 'int32'] as const;
const FIB = ['float32', 'int32', 'bool'] as const;

/** tfjs kernel name → addon op. */
const BINARY: Record<string, BinarySpec> = {
  [Add]: { code: EW_BINARY.Add, dtypes: FI },
  [Sub]: { code: EW_BINARY.Sub, dtypes: FI },
  [Multiply]: { code: EW_BINARY.Mul, dtypes: FI },
  [RealDiv]: { code: EW_BINARY.Div, dtypes: F },
  [Maximum]: { code: EW_BINARY.Max, dtypes: FI },
  [Minimum]: { code: EW_BINARY.Min, dtypes: FI },
  [Pow]: { code: EW_BINARY.Pow, dtypes: F },
  [SquaredDifference]: { code: EW_BINARY.SquaredDifference, dtypes: FI },
  // tfjs's FloorDiv returns int32 whatever the input dtype
  [FloorDiv]: { code: EW_BINARY.FloorDiv, dtypes: FI, out: 'int32' },
  [Mod]: { code: EW_BINARY.Mod, dtypes: FI },
  [Atan2]: { code: EW_BINARY.Atan2, dtypes: F },
  [Prelu]: { code: EW_BINARY.Prelu, dtypes: F, names: ['x', 'alpha'] },
  [Equal]: { code: EW_BINARY.Equal, dtypes: FIB, out: 'bool' },
  [NotEqual]: { code: EW_BINARY.NotEqual, dtypes: FIB, out: 'bool' },
  [Greater]: { code: EW_BINARY.Greater, dtypes: FIB, out: 'bool' },
  [GreaterEqual]: { code: EW_BINARY.GreaterEqual, dtypes: FIB, out: 'bool' },
  [Less]: { code: EW_BINARY.Less, dtypes: FIB, out: 'bool' },
  [LessEqual]: { code: EW_BINARY.LessEqual, dtypes: FIB, out: 'bool' },
  [LogicalAnd]: { code: EW_BINARY.LogicalAnd, dtypes: ['bool'], out: 'bool' },
  [LogicalOr]: { code: EW_BINARY.LogicalOr, dtypes: ['bool'], out: 'bool' },
};

function binaryKernel(s: BinarySpec): NativeKernel {
  const [na, nb] = s.names ?? ['a', 'b'];
  return ({ inputs, backend }) => {
    const a = inputs[na];
    const b = inputs[nb];
    if (a.dtype !== b.dtype || !isEwDtype(a.dtype) || !s.dtypes.includes(a.dtype)) return null;
    const av = ewValues(backend, a);
    const bv = ewValues(backend, b);
    if (av === null || bv === null) return null;
    if (av.length !== sizeOf(a.shape) || bv.length !== sizeOf(b.shape)) return null;
    const shape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const dtype = s.out ?? a.dtype;
    const out = ewAlloc(dtype, sizeOf(shape));
    if (!ewBinding().ewBinary(s.code, av, a.shape, bv, b.shape, out)) return null;
    return backend.makeTensorInfo(shape, dtype, out);
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** tfjs-core's `where` broadcasts condition, t and e to one shape before calling Select. */
const select: NativeKernel = ({ inputs, backend }) => {
  const { condition, t, e } = inputs;
  if (condition.dtype !== 'bool' || t.dtype !== e.dtype || !isEwDtype(t.dtype)) return null;
  if (!sameShape(condition.shape, t.shape) || !sameShape(t.shape, e.shape)) return null;
  const cv = ewValues(backend, condition);
  const tv = ewValues(backend, t);
  const ev = ewValues(backend, e);
  const n = sizeOf(t.shape);
  if (!(cv instanceof Uint8Array) || tv === null || ev === null) return null;
  if (cv.length !== n || tv.length !== n || ev.length !== n) return null;
  const out = ewAlloc(t.dtype, n);
  if (!ewBinding().ewSelect(cv, tv, ev, out)) return null;
  return backend.makeTensorInfo(t.shape, t.dtype, out);
};

const addN: NativeKernel = ({ inputs, backend }) => {
  const list = Object.values(inputs) as TensorInfo[];
  if (list.length === 0) return null;
  const { shape, dtype } = list[0];
  if (dtype !== 'float32' && dtype !== 'int32') return null;
  const n = sizeOf(shape);
  const vals: EwArray[] = [];
  for (const t of list) {
    const v = ewValues(backend, t);
    if (t.dtype !== dtype || v === null || v.length !== n || !sameShape(t.shape, shape)) return null;
    vals.push(v);
  }
  const out = ewAlloc(dtype, n);
  if (!ewBinding().ewAddN(vals, out)) return null;
  return backend.makeTensorInfo(shape, dtype, out);
};

/** ZerosLike / OnesLike for float32, int32 and bool (a fresh typed array, filled). */
function fillLike(value: number): NativeKernel {
  return ({ inputs, backend }) => {
    const x = inputs.x;
    if (!isEwDtype(x.dtype)) return null;
    const out = ewAlloc(x.dtype, sizeOf(x.shape));
    if (value !== 0) out.fill(value);
    return backend.makeTensorInfo(x.shape, x.dtype, out);
  };
}

/**
 * Registers the native elementwise kernels on `backendName` (normally `'cpu'`); returns their names.
 *
 * @example
 * import { registerElementwiseKernels } from './kernels/elementwise.js';
 * const names = registerElementwiseKernels('cpu'); // ['Add', 'Sub', ..., 'Exp', ...]
 */
export function registerElementwiseKernels(backendName: string): string[] {
  const names: string[] = [];
  for (const [name, s] of Object.entries(BINARY)) {
    overrideKernel(name, backendName, binaryKernel(s));
    names.push(name);
  }
  names.push(...registerUnaryKernels(backendName));
  overrideKernel(Select, backendName, select);
  overrideKernel(AddN, backendName, addN);
  overrideKernel(ZerosLike, backendName, fillLike(0));
  overrideKernel(OnesLike, backendName, fillLike(1));
  names.push(Select, AddN, ZerosLike, OnesLike);
  return names;
}
