/** Registers the native reduce kernels on `backendName` (filled in by the reduce work). */
export function registerReduceKernels(_backendName: string): string[] {
  return [];
}
