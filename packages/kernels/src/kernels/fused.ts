/**
 * The fused transformer kernels (layer norm, RMS norm, GELU, causal softmax, SiLU·up, rotary) on the
 * native addon, with their gradients: each kernel's tfjs gradient calls a native gradient kernel, so
 * `tf.grad` through a transformer stays native. The kernels are new names (see `fused-names.ts`);
 * @mechlens/core calls them only when they are registered on the active backend.
 */
import {
  concat,
  engine,
  getGradient,
  mul,
  type NamedAttrMap,
  neg,
  registerGradient,
  reshape,
  slice,
  sum,
  type Tensor,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { bindingAs } from '../binding.js';
import { addKernel, f32, type KernelArgs, makeF32, makeF32Overwrite, sizeOf } from '../register.js';
import { FUSED_GRAD_KERNELS, FUSED_KERNELS } from './fused-names.js';

/** The addon functions of the fused group (native/fused.cc). All buffers are float32, row-major. */
export interface FusedBinding {
  fusedLayerNorm(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    rows: number,
    d: number,
    eps: number,
  ): void;
  fusedLayerNormGrad(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    dx: Float32Array,
    rows: number,
    d: number,
    eps: number,
  ): void;
  fusedLayerNormParamGrad(
    dy: Float32Array,
    x: Float32Array,
    dgamma: Float32Array | null,
    dbeta: Float32Array,
    rows: number,
    d: number,
    eps: number,
  ): void;
  fusedRmsNorm(
    x: Float32Array,
    gamma: Float32Array,
    y: Float32Array,
    rows: number,
    d: number,
    eps: number,
  ): void;
  fusedRmsNormGrad(
    dy: Float32Array,
    x: Float32Array,
    gamma: Float32Array,
    dx: Float32Array,
    rows: number,
    d: number,
    eps: number,
  ): void;
  fusedRmsNormParamGrad(
    dy: Float32Array,
    x: Float32Array,
    dgamma: Float32Array,
    rows: number,
    d: number,
    eps: number,
  ): void;
  fusedGelu(x: Float32Array, y: Float32Array, n: number, approximate: boolean): void;
  fusedGeluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, n: number, approximate: boolean): void;
  fusedSiluMul(gate: Float32Array, up: Float32Array, y: Float32Array, n: number): void;
  fusedSiluMulGrad(
    dy: Float32Array,
    gate: Float32Array,
    up: Float32Array,
    dgate: Float32Array | null,
    dup: Float32Array | null,
    n: number,
  ): void;
  fusedCausalSoftmax(
    scores: Float32Array,
    p: Float32Array,
    rows: number,
    q: number,
    k: number,
    scale: number,
    offset: number,
  ): void;
  fusedCausalSoftmaxGrad(
    dy: Float32Array,
    p: Float32Array,
    dscores: Float32Array,
    rows: number,
    q: number,
    k: number,
    scale: number,
    offset: number,
  ): void;
  fusedRotary(
    x: Float32Array,
    cos: Float32Array,
    sin: Float32Array,
    y: Float32Array,
    B: number,
    T: number,
    H: number,
    D: number,
    rotDim: number,
    cosPerBatch: boolean,
    inverse: boolean,
  ): void;
}

type Attrs = KernelArgs['attrs'];

function input(args: KernelArgs, name: string, kernel: string): { t: TensorInfo; v: Float32Array } {
  const t = args.inputs[name];
  if (!t) throw new Error(`${kernel}: missing input '${name}'`);
  if (t.dtype !== 'float32') throw new Error(`${kernel}: input '${name}' must be float32, got ${t.dtype}`);
  return { t, v: f32(args.backend, t) };
}

function numAttr(attrs: Attrs, name: string, fallback: number): number {
  const v = attrs?.[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new Error(`attribute '${name}' must be a number, got ${v}`);
  return v;
}

/** [rows, d] view of a shape over its last axis (rank >= 1). */
function rowsOf(shape: readonly number[], kernel: string): { rows: number; d: number } {
  if (shape.length < 1) throw new Error(`${kernel}: input must have rank >= 1`);
  const d = shape[shape.length - 1];
  return { rows: sizeOf(shape.slice(0, -1)), d };
}

function expectVector(t: TensorInfo, d: number, what: string): void {
  if (sizeOf(t.shape) !== d)
    throw new Error(`${what} must have ${d} elements (the last axis), got shape [${t.shape}]`);
}

function sameShape(a: TensorInfo, b: TensorInfo, what: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((v, i) => v !== b.shape[i]))
    throw new Error(`${what}: shapes [${a.shape}] and [${b.shape}] must match`);
}

const DEFAULT_EPS = 1e-5;

function runKernel<T extends Tensor | Tensor[]>(
  name: string,
  inputs: Record<string, Tensor>,
  attrs: NamedAttrMap,
): T {
  return engine().runKernel<T>(name, inputs, attrs);
}

function registerGradOnce(config: Parameters<typeof registerGradient>[0]): void {
  if (!getGradient(config.kernelName)) registerGradient(config);
}

type NormDx = (
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  dx: Float32Array,
  rows: number,
  d: number,
  eps: number,
) => void;

/** The input-gradient kernel of a norm over the last axis (inputs {dy, x, gamma}, attrs {eps}). */
function addNormDxKernel(G: string, backendName: string, dxOf: NormDx): void {
  addKernel(G, backendName, (args) => {
    const dy = input(args, 'dy', G);
    const x = input(args, 'x', G);
    const g = input(args, 'gamma', G);
    sameShape(dy.t, x.t, G);
    const { rows, d } = rowsOf(x.t.shape, G);
    expectVector(g.t, d, `${G}: gamma`);
    const eps = numAttr(args.attrs, 'eps', DEFAULT_EPS);
    return makeF32(args.backend, x.t.shape.slice(), (dx) => dxOf(dy.v, x.v, g.v, dx, rows, d, eps));
  });
}

function layerNormKernels(b: FusedBinding, backendName: string): void {
  const N = FUSED_KERNELS.layerNorm;
  addKernel(N, backendName, (args) => {
    const x = input(args, 'x', N);
    const g = input(args, 'gamma', N);
    const be = input(args, 'beta', N);
    const { rows, d } = rowsOf(x.t.shape, N);
    expectVector(g.t, d, `${N}: gamma`);
    expectVector(be.t, d, `${N}: beta`);
    const eps = numAttr(args.attrs, 'eps', DEFAULT_EPS);
    return makeF32Overwrite(args.backend, x.t.shape.slice(), (y) =>
      b.fusedLayerNorm(x.v, g.v, be.v, y, rows, d, eps),
    );
  });
  const G = FUSED_GRAD_KERNELS.layerNormGrad;
  addNormDxKernel(G, backendName, (dy, x, g, dx, rows, d, eps) =>
    b.fusedLayerNormGrad(dy, x, g, dx, rows, d, eps),
  );
  const P = FUSED_GRAD_KERNELS.layerNormParamGrad;
  addKernel(P, backendName, (args) => {
    const dy = input(args, 'dy', P);
    const x = input(args, 'x', P);
    const g = input(args, 'gamma', P);
    const be = input(args, 'beta', P);
    sameShape(dy.t, x.t, P);
    const { rows, d } = rowsOf(x.t.shape, P);
    const eps = numAttr(args.attrs, 'eps', DEFAULT_EPS);
    const dbeta = new Float32Array(d);
    if (args.attrs?.withGamma === false) {
      b.fusedLayerNormParamGrad(dy.v, x.v, null, dbeta, rows, d, eps);
      return [args.backend.makeTensorInfo(be.t.shape.slice(), 'float32', dbeta)];
    }
    const dgamma = new Float32Array(d);
    b.fusedLayerNormParamGrad(dy.v, x.v, dgamma, dbeta, rows, d, eps);
    return [
      args.backend.makeTensorInfo(g.t.shape.slice(), 'float32', dgamma),
      args.backend.makeTensorInfo(be.t.shape.slice(), 'float32', dbeta),
    ];
  });
  registerGradOnce({
    kernelName: N,
    inputsToSave: ['x', 'gamma', 'beta'],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma, beta] = saved;
      const d = dy as Tensor;
      const eps = attrs.eps ?? DEFAULT_EPS;
      return {
        x: () => runKernel<Tensor>(G, { dy: d, x, gamma }, { eps }),
        gamma: () => runKernel<Tensor[]>(P, { dy: d, x, gamma, beta }, { eps, withGamma: true })[0],
        beta: () => runKernel<Tensor[]>(P, { dy: d, x, gamma, beta }, { eps, withGamma: false })[0],
      };
    },
  });
}

function rmsNormKernels(b: FusedBinding, backendName: string): void {
  const N = FUSED_KERNELS.rmsNorm;
  addKernel(N, backendName, (args) => {
    const x = input(args, 'x', N);
    const g = input(args, 'gamma', N);
    const { rows, d } = rowsOf(x.t.shape, N);
    expectVector(g.t, d, `${N}: gamma`);
    const eps = numAttr(args.attrs, 'eps', DEFAULT_EPS);
    return makeF32Overwrite(args.backend, x.t.shape.slice(), (y) =>
      b.fusedRmsNorm(x.v, g.v, y, rows, d, eps),
    );
  });
  const G = FUSED_GRAD_KERNELS.rmsNormGrad;
  addNormDxKernel(G, backendName, (dy, x, g, dx, rows, d, eps) =>
    b.fusedRmsNormGrad(dy, x, g, dx, rows, d, eps),
  );
  const P = FUSED_GRAD_KERNELS.rmsNormParamGrad;
  addKernel(P, backendName, (args) => {
    const dy = input(args, 'dy', P);
    const x = input(args, 'x', P);
    const g = input(args, 'gamma', P);
    sameShape(dy.t, x.t, P);
    const { rows, d } = rowsOf(x.t.shape, P);
    const eps = numAttr(args.attrs, 'eps', DEFAULT_EPS);
    return makeF32(args.backend, g.t.shape.slice(), (dg) =>
      b.fusedRmsNormParamGrad(dy.v, x.v, dg, rows, d, eps),
    );
  });
  registerGradOnce({
    kernelName: N,
    inputsToSave: ['x', 'gamma'],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma] = saved;
      const d = dy as Tensor;
      const eps = attrs.eps ?? DEFAULT_EPS;
      return {
        x: () => runKernel<Tensor>(G, { dy: d, x, gamma }, { eps }),
        gamma: () => runKernel<Tensor>(P, { dy: d, x, gamma }, { eps }),
      };
    },
  });
}

function geluKernels(b: FusedBinding, backendName: string): void {
  const N = FUSED_KERNELS.gelu;
  addKernel(N, backendName, (args) => {
    const x = input(args, 'x', N);
    const approx = Boolean(args.attrs?.approximate);
    return makeF32Overwrite(args.backend, x.t.shape.slice(), (y) => b.fusedGelu(x.v, y, y.length, approx));
  });
  const G = FUSED_GRAD_KERNELS.geluGrad;
  addKernel(G, backendName, (args) => {
    const dy = input(args, 'dy', G);
    const x = input(args, 'x', G);
    sameShape(dy.t, x.t, G);
    const approx = Boolean(args.attrs?.approximate);
    return makeF32(args.backend, x.t.shape.slice(), (dx) =>
      b.fusedGeluGrad(dy.v, x.v, dx, dx.length, approx),
    );
  });
  registerGradOnce({
    kernelName: N,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => ({
      x: () =>
        runKernel<Tensor>(G, { dy: dy as Tensor, x: saved[0] }, { approximate: Boolean(attrs.approximate) }),
    }),
  });
}

function siluMulKernels(b: FusedBinding, backendName: string): void {
  const N = FUSED_KERNELS.siluMul;
  addKernel(N, backendName, (args) => {
    const gate = input(args, 'gate', N);
    const up = input(args, 'up', N);
    sameShape(gate.t, up.t, N);
    return makeF32Overwrite(args.backend, gate.t.shape.slice(), (y) =>
      b.fusedSiluMul(gate.v, up.v, y, y.length),
    );
  });
  const G = FUSED_GRAD_KERNELS.siluMulGrad;
  addKernel(G, backendName, (args) => {
    const dy = input(args, 'dy', G);
    const gate = input(args, 'gate', G);
    const up = input(args, 'up', G);
    sameShape(dy.t, gate.t, G);
    sameShape(up.t, gate.t, G);
    const wrt = args.attrs?.wrt;
    if (wrt !== 'gate' && wrt !== 'up') throw new Error(`${G}: attribute 'wrt' must be 'gate' or 'up'`);
    return makeF32(args.backend, gate.t.shape.slice(), (out) =>
      wrt === 'gate'
        ? b.fusedSiluMulGrad(dy.v, gate.v, up.v, out, null, out.length)
        : b.fusedSiluMulGrad(dy.v, gate.v, up.v, null, out, out.length),
    );
  });
  registerGradOnce({
    kernelName: N,
    inputsToSave: ['gate', 'up'],
    gradFunc: (dy, saved) => {
      const [gate, up] = saved;
      const d = dy as Tensor;
      return {
        gate: () => runKernel<Tensor>(G, { dy: d, gate, up }, { wrt: 'gate' }),
        up: () => runKernel<Tensor>(G, { dy: d, gate, up }, { wrt: 'up' }),
      };
    },
  });
}

function softmaxDims(shape: readonly number[], kernel: string): { rows: number; q: number; k: number } {
  if (shape.length < 2) throw new Error(`${kernel}: scores must have rank >= 2 ([..., q, k])`);
  return { rows: sizeOf(shape.slice(0, -1)), q: shape[shape.length - 2], k: shape[shape.length - 1] };
}

function offsetAttr(attrs: Attrs, kernel: string): number {
  const offset = numAttr(attrs, 'offset', 0);
  if (!Number.isInteger(offset)) throw new Error(`${kernel}: attribute 'offset' must be an integer`);
  return offset;
}

function causalSoftmaxKernels(b: FusedBinding, backendName: string): void {
  const N = FUSED_KERNELS.causalSoftmax;
  addKernel(N, backendName, (args) => {
    const s = input(args, 'scores', N);
    const { rows, q, k } = softmaxDims(s.t.shape, N);
    const scale = numAttr(args.attrs, 'scale', 1);
    const offset = offsetAttr(args.attrs, N);
    return makeF32Overwrite(args.backend, s.t.shape.slice(), (p) =>
      b.fusedCausalSoftmax(s.v, p, rows, q, k, scale, offset),
    );
  });
  const G = FUSED_GRAD_KERNELS.causalSoftmaxGrad;
  addKernel(G, backendName, (args) => {
    const dy = input(args, 'dy', G);
    const y = input(args, 'y', G);
    sameShape(dy.t, y.t, G);
    const { rows, q, k } = softmaxDims(y.t.shape, G);
    const scale = numAttr(args.attrs, 'scale', 1);
    const offset = offsetAttr(args.attrs, G);
    return makeF32(args.backend, y.t.shape.slice(), (ds) =>
      b.fusedCausalSoftmaxGrad(dy.v, y.v, ds, rows, q, k, scale, offset),
    );
  });
  registerGradOnce({
    kernelName: N,
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => ({
      scores: () =>
        runKernel<Tensor>(
          G,
          { dy: dy as Tensor, y: saved[0] },
          { scale: attrs.scale ?? 1, offset: attrs.offset ?? 0 },
        ),
    }),
  });
}

/** Shape checks of rotary; returns the dimensions and whether cos/sin have a batch axis. */
function rotaryDims(
  x: TensorInfo,
  cos: TensorInfo,
  sin: TensorInfo,
  attrs: Attrs,
  kernel: string,
): { B: number; T: number; H: number; D: number; rot: number; perBatch: boolean } {
  if (x.shape.length !== 4)
    throw new Error(`${kernel}: x must be [batch, pos, heads, d_head], got [${x.shape}]`);
  const [B, T, H, D] = x.shape;
  const rot = numAttr(attrs, 'rotDim', D);
  if (!Number.isInteger(rot) || rot < 0 || rot > D || rot % 2 !== 0)
    throw new Error(`${kernel}: rotDim must be an even integer in [0, ${D}], got ${rot}`);
  sameShape(cos, sin, kernel);
  const cs = cos.shape;
  const ok2 = cs.length === 2 && cs[0] === T && cs[1] === rot;
  const ok3 = cs.length === 3 && (cs[0] === B || cs[0] === 1) && cs[1] === T && cs[2] === rot;
  if (!ok2 && !ok3)
    throw new Error(`${kernel}: cos/sin must be [${T}, ${rot}] or [${B}, ${T}, ${rot}], got [${cs}]`);
  return { B, T, H, D, rot, perBatch: ok3 && cs[0] === B && B !== 1 };
}

/** rotate_half(v) = concat(-v[..., half:], v[..., :half]) over the last axis. */
function rotateHalf(v: Tensor, rot: number): Tensor {
  const half = rot / 2;
  const lo = slice(v, [0, 0, 0, 0], [-1, -1, -1, half]);
  const hi = slice(v, [0, 0, 0, half], [-1, -1, -1, half]);
  return concat([neg(hi), lo], 3);
}

function rotaryKernels(b: FusedBinding, backendName: string): void {
  const N = FUSED_KERNELS.rotary;
  addKernel(N, backendName, (args) => {
    const x = input(args, 'x', N);
    const c = input(args, 'cos', N);
    const s = input(args, 'sin', N);
    const { B, T, H, D, rot, perBatch } = rotaryDims(x.t, c.t, s.t, args.attrs, N);
    return makeF32Overwrite(args.backend, x.t.shape.slice(), (y) =>
      b.fusedRotary(x.v, c.v, s.v, y, B, T, H, D, rot, perBatch, false),
    );
  });
  const G = FUSED_GRAD_KERNELS.rotaryGrad;
  addKernel(G, backendName, (args) => {
    const dy = input(args, 'dy', G);
    const c = input(args, 'cos', G);
    const s = input(args, 'sin', G);
    const { B, T, H, D, rot, perBatch } = rotaryDims(dy.t, c.t, s.t, args.attrs, G);
    return makeF32(args.backend, dy.t.shape.slice(), (dx) =>
      b.fusedRotary(dy.v, c.v, s.v, dx, B, T, H, D, rot, perBatch, true),
    );
  });
  registerGradOnce({
    kernelName: N,
    inputsToSave: ['x', 'cos', 'sin'],
    gradFunc: (dy, saved, attrs) => {
      const [x, cos, sin] = saved;
      const d = dy as Tensor;
      const rot = Number(attrs.rotDim ?? x.shape[3]);
      // d cos[.., t, i] = sum over batch (if cos has none) and heads of dy * x; d sin likewise with
      // rotate_half(x). Rarely needed (cos/sin are usually constants), so composite ops are enough.
      const tableGrad = (f: (xr: Tensor) => Tensor, table: Tensor) => () => {
        const dyr = slice(d, [0, 0, 0, 0], [-1, -1, -1, rot]);
        const xr = slice(x, [0, 0, 0, 0], [-1, -1, -1, rot]);
        let g = sum(mul(dyr, f(xr)), 2);
        if (table.shape.length === 2) g = sum(g, 0);
        else if (table.shape[0] === 1) g = sum(g, 0, true);
        return reshape(g, table.shape);
      };
      return {
        x: () => runKernel<Tensor>(G, { dy: d, cos, sin }, { rotDim: rot }),
        cos: tableGrad((xr) => xr, cos),
        sin: tableGrad((xr) => rotateHalf(xr, rot), sin),
      };
    },
  });
}

/**
 * Registers the native fused kernels and their native gradient kernels on `backendName`, and their tfjs
 * gradients (global, once). Returns the names of the kernels registered here.
 *
 * @example
 * registerFusedKernels('cpu');
 * const y = tf.engine().runKernel('MechlensLayerNorm', { x, gamma, beta }, { eps: 1e-5 });
 */
export function registerFusedKernels(backendName: string): string[] {
  const b = bindingAs<FusedBinding>();
  if (typeof b.fusedLayerNorm !== 'function') return []; // an addon built without native/fused.cc
  layerNormKernels(b, backendName);
  rmsNormKernels(b, backendName);
  geluKernels(b, backendName);
  siluMulKernels(b, backendName);
  causalSoftmaxKernels(b, backendName);
  rotaryKernels(b, backendName);
  return [...Object.values(FUSED_KERNELS), ...Object.values(FUSED_GRAD_KERNELS)];
}
