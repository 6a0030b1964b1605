/** Registers the native layout kernels on `backendName` (filled in by the layout work). */
export function registerLayoutKernels(_backendName: string): string[] {
  return [];
}
