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
  /** inputs {gate, up} (same shape), no attrs: silu(gate) * up (the llama / qwen2 gated MLP). */
  siluMul: 'MechlensSiluMul',
  /**
   * inputs {x [B, T, H, D], cos, sin} with cos/sin `[T, rotDim]` or `[B, T, rotDim]`, attrs {rotDim}: rotary
   * embedding in the rotate_half convention (dim i pairs with i + rotDim/2; dims >= rotDim pass through).
   */
  rotary: 'MechlensRotary',
} as const;

/**
 * Names of the native gradient kernels behind the fused kernels' registered gradients (tfjs's `tf.grad`
 * calls them; they have no gradients themselves, so second-order gradients through the fused kernels
 * are not available).
 */
export const FUSED_GRAD_KERNELS = {
  /** inputs {dy, x, gamma}, attrs {eps} → dx. */
  layerNormGrad: 'MechlensLayerNormGrad',
  /** inputs {dy, x, gamma, beta}, attrs {eps, withGamma} → [dgamma, dbeta] (or [dbeta] without gamma). */
  layerNormParamGrad: 'MechlensLayerNormParamGrad',
  /** inputs {dy, x, gamma}, attrs {eps} → dx. */
  rmsNormGrad: 'MechlensRMSNormGrad',
  /** inputs {dy, x, gamma}, attrs {eps} → dgamma. */
  rmsNormParamGrad: 'MechlensRMSNormParamGrad',
  /** inputs {dy, x}, attrs {approximate} → dx. */
  geluGrad: 'MechlensGeluGrad',
  /** inputs {dy, y} (y = the softmax output), attrs {scale, offset} → dscores. */
  causalSoftmaxGrad: 'MechlensCausalSoftmaxGrad',
  /** inputs {dy, gate, up}, attrs {wrt: 'gate' | 'up'} → dgate or dup. */
  siluMulGrad: 'MechlensSiluMulGrad',
  /** inputs {dy, cos, sin}, attrs {rotDim} → dx (the transposed rotation). */
  rotaryGrad: 'MechlensRotaryGrad',
} as const;

/**
 * Names of the sparse-code kernels (a batch of codes of k (value, latent index) pairs over a dictionary
 * `W [n, d]`), used by sparse autoencoders. @mechlens/core wraps them as `sparseDecode`, `sparseRowDot` and
 * `scatterRows`, with composite fallbacks.
 */
export const SPARSE_KERNELS = {
  /** inputs {values [..., k], indices [..., k] int32, weights [n, d]} → [..., d]: Σ_j values_j · W[indices_j]. Differentiable in values and weights. */
  decode: 'MechlensSparseDecode',
  /** inputs {g [..., d], indices [..., k] int32, weights [n, d]} → [..., k]: g · W[indices_j]. */
  rowDot: 'MechlensSparseRowDot',
  /** inputs {g [..., d], values [..., k], indices [..., k] int32}, attrs {n} → [n, d]: row i = Σ over entries with index i of value · g. */
  scatterRows: 'MechlensSparseScatterRows',
  /** inputs {param, grad, m, v} (same shape), attrs {lr, beta1, beta2, eps, c1, c2} → [param', m', v']: one fused Adam step (c1, c2 the bias corrections). */
  adam: 'MechlensAdam',
  /** inputs {x [rows, d]}, attrs {eps} → rows scaled to unit L2 norm (norm floored at eps). */
  rowNormalize: 'MechlensRowNormalize',
  /** inputs {g [rows, d], w [rows, d]} → g − (g·w) w per row (removes the component along unit rows w). */
  rowProject: 'MechlensRowProject',
} as const;
