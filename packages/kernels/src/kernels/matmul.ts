/** Registers the native matmul kernels on `backendName` (filled in by the matmul work). */
export function registerMatmulKernels(_backendName: string): string[] {
  return [];
}
