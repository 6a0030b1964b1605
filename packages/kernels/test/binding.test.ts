import { describe, expect, it } from 'vitest';
import { bindingAs } from '../src/binding.js';
import { loadBinding, registerNativeKernels, setNativeThreads } from '../src/index.js';
import type { MatmulBinding } from '../src/kernels/matmul.js';

describe('native addon', () => {
  it('loads and reports its SIMD level and thread count', () => {
    const b = loadBinding();
    if (!b.ok) throw new Error(b.reason);
    const info = b.binding.info();
    expect(['avx512', 'avx2', 'generic']).toContain(info.simd);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    const s = registerNativeKernels('cpu');
    expect(s.ok).toBe(true);
  });

  it('re-creates the thread pool on request and rejects bad counts', () => {
    setNativeThreads(1);
    expect(
      loadBinding().ok &&
        (loadBinding() as { binding: { info(): { threads: number } } }).binding.info().threads,
    ).toBe(1);
    setNativeThreads(2);
    expect(() => setNativeThreads(0)).toThrow(/integer >= 1/);
  });

  it('a job posted right after the pool is created is never lost (worker start-up race)', () => {
    // Each setNativeThreads(2) starts a fresh worker and the matmul posts a parallel job at once; a
    // worker that read the job counter only after starting used to sleep through that job forever.
    const b = bindingAs<MatmulBinding>();
    const [m, k, n] = [64, 64, 256];
    const a = new Float32Array(m * k).fill(1);
    const w = new Float32Array(k * n).fill(0.5);
    const c = new Float32Array(m * n);
    for (let i = 0; i < 300; i++) {
      setNativeThreads(2);
      b.matmul(a, [m, k], w, [k, n], false, false, c, null, null, 0, 0, null, null);
      expect(c[m * n - 1]).toBe(32);
    }
  });
});
