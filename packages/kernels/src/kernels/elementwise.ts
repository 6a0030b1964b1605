/** Registers the native elementwise kernels on `backendName` (filled in by the elementwise work). */
export function registerElementwiseKernels(_backendName: string): string[] {
  return [];
}
