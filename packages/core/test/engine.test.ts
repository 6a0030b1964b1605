import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { engineInfo, initEngine, tf } from '../src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('engine', () => {
  it('chooses the native engine when the addon is built and reports why', async () => {
    const info = await initEngine();
    expect(info).toEqual(engineInfo());
    expect(tf.getBackend()).toBe('cpu');
    expect(['native', 'cpu']).toContain(info.backend);
    expect(info.reason.length).toBeGreaterThan(10);
    if (existsSync(join(root, 'packages/kernels/build/Release/mechlens_kernels.node'))) {
      expect(info.backend).toBe('native');
      expect(info.native).toBe(true);
      expect(['avx512', 'avx2', 'generic']).toContain(info.simd);
      expect(info.threads).toBeGreaterThanOrEqual(1);
    }
    // idempotent
    expect(await initEngine()).toEqual(info);
  });

  it('computes gradients (gradients are registered)', () => {
    const g = tf.grad((x: tf.Tensor) => x.square().sum())(tf.tensor1d([1, 2, 3]));
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
  });

  it('works from plain Node ESM too (gradients and chained ops registered on the one tfjs-core)', () => {
    const file = join(root, 'packages/core/test/.plain-node-check.mjs');
    writeFileSync(
      file,
      "import { initEngine, tf } from '@mechlens/core';\n" +
        'await initEngine();\n' +
        'const g = tf.grad((x) => x.square().sum())(tf.tensor1d([1, 2, 3]));\n' +
        'console.log(JSON.stringify(Array.from(g.dataSync())));\n',
    );
    try {
      const r = spawnSync(process.execPath, ['--conditions=mechlens-source', '--import', 'tsx', file], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(r.stderr).not.toMatch(/Error/);
      expect(r.stdout.trim().split('\n').pop()).toBe('[2,4,6]');
    } finally {
      rmSync(file, { force: true });
    }
  });

  it('rejects an unknown MECHLENS_BACKEND with the list of engines', async () => {
    await expect(initEngine({ backend: 'gpu' as never })).rejects.toThrow(/tensorflow, native, cpu, wasm/);
  });

  it('has exactly one copy of @tensorflow/tfjs-core in the tree', () => {
    const store = join(root, 'node_modules/.pnpm');
    const copies = readdirSync(store).filter((d) => d.startsWith('@tensorflow+tfjs-core@'));
    expect(copies).toHaveLength(1);
    const fromCore = createRequire(join(root, 'packages/core/package.json')).resolve('@tensorflow/tfjs-core');
    const fromKernels = createRequire(join(root, 'packages/kernels/package.json')).resolve(
      '@tensorflow/tfjs-core',
    );
    const cpuPkg = createRequire(join(root, 'packages/core/package.json')).resolve(
      '@tensorflow/tfjs-backend-cpu',
    );
    const fromCpu = createRequire(cpuPkg).resolve('@tensorflow/tfjs-core');
    expect(realpathSync(fromKernels)).toBe(realpathSync(fromCore));
    expect(realpathSync(fromCpu)).toBe(realpathSync(fromCore));
  });
});
