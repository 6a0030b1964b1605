/** Registers the native fused kernels on `backendName` (filled in by the fused work). */
export function registerFusedKernels(_backendName: string): string[] {
  return [];
}
