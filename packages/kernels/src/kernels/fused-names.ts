/**
 * Names of the fused kernels this package adds to tfjs (they have no tfjs equivalent). @mechlens/core
 * calls them through `tf.engine().runKernel` when they are registered on the active backend, and uses
 * composite tfjs ops otherwise.
 */
export const FUSED_KERNELS = {
  /** inputs {x, gamma, beta}, attrs {eps}; layer norm over the last axis. */
  layerNorm: 'MechlensLayerNorm',
  /** inputs {x, gamma}, attrs {eps}; RMS norm over the last axis. */
  rmsNorm: 'MechlensRMSNorm',
  /** inputs {x}, attrs {approximate: boolean}; GELU (tanh approximation or exact erf). */
  gelu: 'MechlensGelu',
  /**
   * inputs {scores [..., q, k]}, attrs {scale, offset}: softmax(scale * scores) over the last axis with the causal
   * mask (key index > query index + offset gets probability 0; offset = k - q for a KV-cached step).
   */
  causalSoftmax: 'MechlensCausalSoftmax',
} as const;
