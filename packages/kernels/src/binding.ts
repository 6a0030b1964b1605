import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Functions every build of the addon has; kernel groups declare their own slices (see `kernels/`). */
export interface CoreBinding {
  info(): { simd: 'avx512' | 'avx2' | 'generic'; threads: number };
  setThreads(n: number): void;
}

/** Result of trying to load the native addon. */
export type BindingLoad = { ok: true; binding: CoreBinding; path: string } | { ok: false; reason: string };

let cached: BindingLoad | undefined;

function packageRoot(): string {
  // src/ or dist/ → package root
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

/**
 * Loads `build/Release/mechlens_kernels.node` once. Never throws: a missing or broken build gives
 * `{ ok: false, reason }` so callers can fall back to pure tfjs.
 *
 * @example
 * const b = loadBinding();
 * if (b.ok) console.log(b.binding.info());
 */
export function loadBinding(): BindingLoad {
  if (cached) return cached;
  const root = packageRoot();
  const path = join(root, 'build', 'Release', 'mechlens_kernels.node');
  if (!existsSync(path)) {
    const failed = join(root, 'build', 'BUILD_FAILED');
    const why = existsSync(failed) ? readFileSync(failed, 'utf8').trim() : 'the addon was never built';
    cached = { ok: false, reason: `native addon missing (${why})` };
    return cached;
  }
  try {
    const require = createRequire(import.meta.url);
    cached = { ok: true, binding: require(path) as CoreBinding, path };
  } catch (e) {
    cached = { ok: false, reason: `native addon failed to load: ${(e as Error).message}` };
  }
  return cached;
}

/** The loaded binding typed as `T` (a kernel group's slice); throws if the addon is not loaded. */
export function bindingAs<T>(): T & CoreBinding {
  const b = loadBinding();
  if (!b.ok) throw new Error(b.reason);
  return b.binding as T & CoreBinding;
}
