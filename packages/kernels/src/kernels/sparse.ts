/**
 * The sparse-code kernels (native/sparse.cc) on tfjs: decode a batch of sparse codes against a
 * dictionary, their row dot products with a gradient, and the deterministic scatter of outer products
 * into dictionary rows, plus the gradient of the decode so `tf.grad` flows through it.
 */
import { engine, getGradient, registerGradient, type Tensor, type TensorInfo } from '@tensorflow/tfjs-core';
import { bindingAs } from '../binding.js';
import { addKernel, f32, i32, type KernelArgs, makeF32Overwrite, sizeOf } from '../register.js';
import { SPARSE_KERNELS } from './fused-names.js';

/** The addon functions of the sparse group (native/sparse.cc). */
export interface SparseBinding {
  sparseDecode(
    values: Float32Array,
    indices: Int32Array,
    W: Float32Array,
    out: Float32Array,
    rows: number,
    k: number,
    n: number,
    d: number,
  ): void;
  sparseRowDot(
    g: Float32Array,
    indices: Int32Array,
    W: Float32Array,
    out: Float32Array,
    rows: number,
    k: number,
    n: number,
    d: number,
  ): void;
  adamUpdate(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    pOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    c1: number,
    c2: number,
  ): void;
  rowNormalize(W: Float32Array, out: Float32Array, rows: number, d: number, eps: number): void;
  rowProject(G: Float32Array, W: Float32Array, out: Float32Array, rows: number, d: number): void;
  sparseScatterRows(
    g: Float32Array,
    values: Float32Array,
    indices: Int32Array,
    out: Float32Array,
    rows: number,
    k: number,
    n: number,
    d: number,
  ): void;
}

function need(args: KernelArgs, name: string, kernel: string, dtype: 'float32' | 'int32'): TensorInfo {
  const t = args.inputs[name];
  if (!t) throw new Error(`${kernel}: missing input '${name}'`);
  if (t.dtype !== dtype) throw new Error(`${kernel}: input '${name}' must be ${dtype}, got ${t.dtype}`);
  return t;
}

/** rows and k of a code tensor [..., k]; checks a companion tensor shares its leading axes. */
function codeDims(code: TensorInfo, kernel: string): { rows: number; k: number } {
  if (code.shape.length < 1) throw new Error(`${kernel}: codes must have rank >= 1`);
  const k = code.shape[code.shape.length - 1];
  return { rows: sizeOf(code.shape.slice(0, -1)), k };
}

function sameLead(a: TensorInfo, b: TensorInfo, kernel: string): void {
  const la = a.shape.slice(0, -1);
  const lb = b.shape.slice(0, -1);
  if (la.length !== lb.length || la.some((v, i) => v !== lb[i]))
    throw new Error(`${kernel}: leading axes of [${a.shape}] and [${b.shape}] must match`);
}

function dictionary(W: TensorInfo, kernel: string): { n: number; d: number } {
  if (W.shape.length !== 2) throw new Error(`${kernel}: weights must be [n, d], got [${W.shape}]`);
  return { n: W.shape[0], d: W.shape[1] };
}

/** Registers the sparse kernels and the decode's gradient on `backendName`; returns their names. */
export function registerSparseKernels(backendName: string): string[] {
  const b = bindingAs<SparseBinding>();
  if (typeof b.sparseDecode !== 'function') return []; // an addon built without native/sparse.cc
  const D = SPARSE_KERNELS.decode;
  addKernel(D, backendName, (args) => {
    const v = need(args, 'values', D, 'float32');
    const idx = need(args, 'indices', D, 'int32');
    const W = need(args, 'weights', D, 'float32');
    sameLead(v, idx, D);
    if (v.shape[v.shape.length - 1] !== idx.shape[idx.shape.length - 1])
      throw new Error(`${D}: values [${v.shape}] and indices [${idx.shape}] must have the same shape`);
    const { rows, k } = codeDims(v, D);
    const { n, d } = dictionary(W, D);
    return makeF32Overwrite(args.backend, [...v.shape.slice(0, -1), d], (out) =>
      b.sparseDecode(f32(args.backend, v), i32(args.backend, idx), f32(args.backend, W), out, rows, k, n, d),
    );
  });
  const R = SPARSE_KERNELS.rowDot;
  addKernel(R, backendName, (args) => {
    const g = need(args, 'g', R, 'float32');
    const idx = need(args, 'indices', R, 'int32');
    const W = need(args, 'weights', R, 'float32');
    sameLead(g, idx, R);
    const { rows, k } = codeDims(idx, R);
    const { n, d } = dictionary(W, R);
    if (g.shape[g.shape.length - 1] !== d) throw new Error(`${R}: g [${g.shape}] must end in d = ${d}`);
    return makeF32Overwrite(args.backend, idx.shape.slice(), (out) =>
      b.sparseRowDot(f32(args.backend, g), i32(args.backend, idx), f32(args.backend, W), out, rows, k, n, d),
    );
  });
  const S = SPARSE_KERNELS.scatterRows;
  addKernel(S, backendName, (args) => {
    const g = need(args, 'g', S, 'float32');
    const v = need(args, 'values', S, 'float32');
    const idx = need(args, 'indices', S, 'int32');
    sameLead(g, idx, S);
    sameLead(v, idx, S);
    const { rows, k } = codeDims(idx, S);
    const n = args.attrs?.n;
    if (!Number.isInteger(n) || n < 0) throw new Error(`${S}: attribute n must be an integer >= 0, got ${n}`);
    const d = g.shape[g.shape.length - 1];
    return makeF32Overwrite(args.backend, [n, d], (out) =>
      b.sparseScatterRows(
        f32(args.backend, g),
        f32(args.backend, v),
        i32(args.backend, idx),
        out,
        rows,
        k,
        n,
        d,
      ),
    );
  });
  const A = SPARSE_KERNELS.adam;
  addKernel(A, backendName, (args) => {
    const ins = ['param', 'grad', 'm', 'v'].map((k) => need(args, k, A, 'float32'));
    for (const t of ins.slice(1))
      if (sizeOf(t.shape) !== sizeOf(ins[0].shape))
        throw new Error(`${A}: param, grad, m and v must have the same size`);
    const a = args.attrs ?? {};
    const n = sizeOf(ins[0].shape);
    const [p, g, m, v] = ins.map((t) => f32(args.backend, t));
    const outs: TensorInfo[] = [];
    const bufs: Float32Array[] = [];
    for (let i = 0; i < 3; i++)
      outs.push(
        makeF32Overwrite(args.backend, ins[0].shape.slice(), (o) => {
          bufs.push(o);
        }),
      );
    b.adamUpdate(p, g, m, v, bufs[0], bufs[1], bufs[2], n, a.lr, a.beta1, a.beta2, a.eps, a.c1, a.c2);
    return outs;
  });
  const N = SPARSE_KERNELS.rowNormalize;
  addKernel(N, backendName, (args) => {
    const x = need(args, 'x', N, 'float32');
    if (x.shape.length !== 2) throw new Error(`${N}: x must be [rows, d], got [${x.shape}]`);
    return makeF32Overwrite(args.backend, x.shape.slice(), (out) =>
      b.rowNormalize(f32(args.backend, x), out, x.shape[0], x.shape[1], args.attrs?.eps ?? 1e-12),
    );
  });
  const P = SPARSE_KERNELS.rowProject;
  addKernel(P, backendName, (args) => {
    const g = need(args, 'g', P, 'float32');
    const w = need(args, 'w', P, 'float32');
    if (
      g.shape.length !== 2 ||
      w.shape.length !== 2 ||
      g.shape[0] !== w.shape[0] ||
      g.shape[1] !== w.shape[1]
    )
      throw new Error(`${P}: g [${g.shape}] and w [${w.shape}] must be the same [rows, d]`);
    return makeF32Overwrite(args.backend, g.shape.slice(), (out) =>
      b.rowProject(f32(args.backend, g), f32(args.backend, w), out, g.shape[0], g.shape[1]),
    );
  });
  if (!getGradient(D))
    registerGradient({
      kernelName: D,
      inputsToSave: ['values', 'indices', 'weights'],
      gradFunc: (dy, saved) => {
        const [values, indices, weights] = saved;
        const g = dy as Tensor;
        return {
          values: () => engine().runKernel<Tensor>(R, { g, indices, weights }, {}),
          weights: () => engine().runKernel<Tensor>(S, { g, values, indices }, { n: weights.shape[0] }),
          indices: () => engine().runKernel<Tensor>('ZerosLike', { x: indices }, {}),
        };
      },
    });
  return Object.values(SPARSE_KERNELS);
}
