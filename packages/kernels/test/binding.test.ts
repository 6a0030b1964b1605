import { describe, expect, it } from 'vitest';
import { loadBinding, registerNativeKernels, setNativeThreads } from '../src/index.js';

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
});
