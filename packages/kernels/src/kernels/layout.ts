/**
 * Native data-movement kernels over tfjs's `cpu` kernels: Transpose, Slice, StridedSlice, Reverse,
 * Tile, PadV2, MirrorPad (strided copies, `layout-copy.ts`), SplitV, Unpack, Concat, Pack (row copies,
 * `layout-split.ts`) and GatherV2, GatherNd (`layout-gather.ts`). Float32 and int32 move as 4-byte
 * words, bool as bytes; strings and complex tensors, and the cases where tfjs only re-labels data
 * (identity slices, single-input concat/stack), defer to tfjs's own kernels.
 *
 * Identity and Reshape are free in tfjs (shared data), Fill is a TypedArray `fill`, Range a short JS
 * loop: none of them is overridden.
 */
import {
  Concat,
  GatherNd,
  GatherV2,
  MirrorPad,
  Pack,
  PadV2,
  Reverse,
  Slice,
  SplitV,
  StridedSlice,
  Tile,
  Transpose,
  Unpack,
} from '@tensorflow/tfjs-core';
import { type NativeKernel, overrideKernel } from '../register.js';
import {
  mirrorPadKernel,
  padV2Kernel,
  reverseKernel,
  sliceKernel,
  stridedSliceKernel,
  tileKernel,
  transposeKernel,
} from './layout-copy.js';
import { gatherNdKernel, gatherV2Kernel } from './layout-gather.js';
import { concatKernel, packKernel, splitVKernel, unpackKernel } from './layout-split.js';

/**
 * Registers the native layout kernels on `backendName` (normally `'cpu'`) and returns their names.
 * Requires the addon to be loaded (see `loadBinding`).
 *
 * @example
 * import { registerLayoutKernels } from './kernels/layout.js';
 * const names = registerLayoutKernels('cpu'); // ['Transpose', 'Slice', ...]
 */
export function registerLayoutKernels(backendName: string): string[] {
  const kernels: [string, NativeKernel][] = [
    [Transpose, transposeKernel],
    [Slice, sliceKernel],
    [StridedSlice, stridedSliceKernel],
    [Reverse, reverseKernel],
    [Tile, tileKernel],
    [PadV2, padV2Kernel],
    [MirrorPad, mirrorPadKernel],
    [SplitV, splitVKernel],
    [Unpack, unpackKernel],
    [Concat, concatKernel],
    [Pack, packKernel],
    [GatherV2, gatherV2Kernel],
    [GatherNd, gatherNdKernel],
  ];
  for (const [name, impl] of kernels) overrideKernel(name, backendName, impl);
  return kernels.map(([name]) => name);
}
