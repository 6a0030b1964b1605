import { describe, expect, it } from 'vitest';
import { bufferPoolStats, clearBufferPool } from '../src/index.js';
import { randn, tf, useNative } from './helpers.js';

useNative();

describe('output buffer pool', () => {
  it('reuses the outputs of disposed matmuls', () => {
    clearBufferPool();
    const a = randn([128, 256], 1);
    const b = randn([256, 512], 2);
    for (let i = 0; i < 10; i++) tf.matMul(a, b).dispose();
    const s = bufferPoolStats();
    expect(s.reused).toBeGreaterThanOrEqual(8);
    expect(s.allocated).toBeLessThanOrEqual(2);
    tf.dispose([a, b]);
  });

  it('never recycles an array that was read out, nor memory shared with a view', () => {
    const a = randn([128, 256], 3);
    const b = randn([256, 512], 4);
    const c = tf.matMul(a, b);
    const seen = c.dataSync(); // handed to the user: must never be overwritten
    const copy = Float32Array.from(seen);
    c.dispose();
    for (let i = 0; i < 5; i++)
      tf.tidy(() => {
        tf.matMul(tf.mul(a, 3), b);
      });
    expect(seen).toEqual(copy);
    const d = tf.matMul(a, b);
    // what tfjs's own contiguous Slice does: a second tensor on a view of d's memory
    const backend = tf.backend() as unknown as {
      data: { get(id: object): { values: Float32Array } };
      makeTensorInfo(shape: number[], dtype: 'float32', v: Float32Array): tf.TensorInfo;
    };
    const view = backend.data.get(d.dataId).values.subarray(512, 1536);
    const rows = tf.engine().makeTensorFromTensorInfo(backend.makeTensorInfo([2, 512], 'float32', view));
    const rowsCopy = Float32Array.from(tf.tidy(() => tf.add(rows, 0)).dataSync());
    d.dispose();
    for (let i = 0; i < 20; i++)
      tf.tidy(() => {
        tf.matMul(tf.mul(a, 2), b);
      });
    expect(seen).toEqual(copy);
    expect(Float32Array.from(rows.dataSync())).toEqual(rowsCopy);
    tf.dispose([a, b, rows]);
  });

  it('results are unchanged by recycling (same values as with fresh arrays)', () => {
    const a = randn([64, 300], 5);
    const b = randn([300, 400], 6);
    const first = tf.tidy(() => Float32Array.from(tf.matMul(a, b).dataSync()));
    for (let i = 0; i < 5; i++)
      tf.tidy(() => {
        tf.matMul(tf.neg(a), b);
      });
    const again = tf.tidy(() => Float32Array.from(tf.matMul(a, b).dataSync()));
    expect(again).toEqual(first);
    tf.dispose([a, b]);
  });
});
