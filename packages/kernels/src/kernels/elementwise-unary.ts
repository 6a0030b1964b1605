/**
 * Native unary elementwise kernels (Exp, Tanh, Erf, Relu, Cast, IsNan, ...). Float32 inputs for the
 * math ops; Neg also on int32; Cast float32→int32/bool and int32→bool; LogicalNot on bool. Any other
 * dtype returns `null`, so tfjs's own kernel runs.
 */
import {
  Abs,
  Cast,
  Ceil,
  ClipByValue,
  Cos,
  Elu,
  Erf,
  Exp,
  Expm1,
  Floor,
  IsFinite,
  IsInf,
  IsNan,
  LeakyRelu,
  Log,
  Log1p,
  LogicalNot,
  Neg,
  Reciprocal,
  Relu,
  Relu6,
  Round,
  Rsqrt,
  Sigmoid,
  Sign,
  Sin,
  Softplus,
  Sqrt,
  Square,
  Step,
  Tanh,
} from '@tensorflow/tfjs-core';
import { type KernelArgs, type NativeKernel, overrideKernel, sizeOf } from '../register.js';
import { EW_UNARY, type EwDtype, ewAlloc, ewBinding, ewValues } from './elementwise-binding.js';

type Attrs = KernelArgs['attrs'];

/** How one tfjs unary kernel maps onto the addon's `ewUnary`. */
interface UnarySpec {
  code: number;
  /** Output dtype for an input dtype, or null when the addon does not handle that input. */
  out: (inDtype: string, attrs: Attrs) => EwDtype | null;
  /** Attribute values passed as p0, p1. */
  params?: (attrs: Attrs) => [number, number];
}

const floatOnly = (d: string): EwDtype | null => (d === 'float32' ? 'float32' : null);
const floatToBool = (d: string): EwDtype | null => (d === 'float32' ? 'bool' : null);

function spec(code: number, out: UnarySpec['out'] = floatOnly, params?: UnarySpec['params']): UnarySpec {
  return { code, out, params };
}

const alpha = (attrs: Attrs): [number, number] => [Number(attrs?.alpha ?? 0), 0];

/** tfjs kernel name → addon op. */
const UNARY: Record<string, UnarySpec> = {
  [Exp]: spec(EW_UNARY.Exp),
  [Log]: spec(EW_UNARY.Log),
  [Log1p]: spec(EW_UNARY.Log1p),
  [Expm1]: spec(EW_UNARY.Expm1),
  [Tanh]: spec(EW_UNARY.Tanh),
  [Erf]: spec(EW_UNARY.Erf),
  [Sqrt]: spec(EW_UNARY.Sqrt),
  [Rsqrt]: spec(EW_UNARY.Rsqrt),
  [Sigmoid]: spec(EW_UNARY.Sigmoid),
  [Relu]: spec(EW_UNARY.Relu),
  [Relu6]: spec(EW_UNARY.Relu6),
  [Elu]: spec(EW_UNARY.Elu),
  [LeakyRelu]: spec(EW_UNARY.LeakyRelu, floatOnly, alpha),
  [Neg]: spec(EW_UNARY.Neg, (d) => (d === 'float32' || d === 'int32' ? d : null)),
  [Square]: spec(EW_UNARY.Square),
  [Abs]: spec(EW_UNARY.Abs),
  [Sign]: spec(EW_UNARY.Sign),
  [Step]: spec(EW_UNARY.Step, floatOnly, alpha),
  [Reciprocal]: spec(EW_UNARY.Reciprocal),
  [Sin]: spec(EW_UNARY.Sin),
  [Cos]: spec(EW_UNARY.Cos),
  [Softplus]: spec(EW_UNARY.Softplus),
  [ClipByValue]: spec(EW_UNARY.Clip, floatOnly, (attrs) => [
    Number(attrs?.clipValueMin),
    Number(attrs?.clipValueMax),
  ]),
  [Floor]: spec(EW_UNARY.Floor),
  [Ceil]: spec(EW_UNARY.Ceil),
  [Round]: spec(EW_UNARY.Round),
  [IsNan]: spec(EW_UNARY.IsNan, floatToBool),
  [IsInf]: spec(EW_UNARY.IsInf, floatToBool),
  [IsFinite]: spec(EW_UNARY.IsFinite, floatToBool),
  // Only the casts that lose information (the others are zero-copy identities in tfjs).
  [Cast]: spec(EW_UNARY.Cast, (d, attrs) => {
    const to = attrs?.dtype;
    if (d === 'float32' && (to === 'int32' || to === 'bool')) return to;
    if (d === 'int32' && to === 'bool') return 'bool';
    return null;
  }),
  [LogicalNot]: spec(EW_UNARY.LogicalNot, (d) => (d === 'bool' ? 'bool' : null)),
};

function unaryKernel(s: UnarySpec): NativeKernel {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x;
    const outDtype = s.out(x.dtype, attrs);
    if (outDtype === null) return null;
    const xv = ewValues(backend, x);
    if (xv === null || xv.length !== sizeOf(x.shape)) return null;
    const out = ewAlloc(outDtype, xv.length);
    const [p0, p1] = s.params ? s.params(attrs) : [0, 0];
    if (!ewBinding().ewUnary(s.code, xv, out, p0, p1)) return null;
    return backend.makeTensorInfo(x.shape, outDtype, out);
  };
}

/**
 * Registers the native unary kernels on `backendName`; returns their names.
 *
 * @example
 * registerUnaryKernels('cpu'); // ['Exp', 'Log', ...]
 */
export function registerUnaryKernels(backendName: string): string[] {
  const names = Object.keys(UNARY);
  for (const name of names) overrideKernel(name, backendName, unaryKernel(UNARY[name]));
  return names;
}
