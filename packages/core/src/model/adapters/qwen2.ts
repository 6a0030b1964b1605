/**
 * Qwen2 (`model_type: qwen2`): the llama layout plus q/k/v biases (o_proj and the MLP have none), usually
 * tied embeddings (small models), RMSNorm eps 1e-6; sliding window only when `use_sliding_window` is true.
 */

import type { Adapter } from './common.js';
import { cfgBool, cfgNumOrNull } from './common.js';
import { llamaLikeConfig, llamaLikeWeights } from './llama.js';

/**
 * The Qwen2 adapter.
 *
 * @example
 * const cfg = qwen2Adapter.config(hfConfig); // cfg.biases.qkv === true, cfg.biases.attnOut === false
 */
export const qwen2Adapter: Adapter = {
  modelTypes: ['qwen2'],
  config: (hf) =>
    llamaLikeConfig(
      // Qwen2 has no attention_bias field: q/k/v biases always exist, o_proj never has one.
      { ...hf, attention_bias: true },
      {
        arch: 'qwen2',
        qkvBias: true,
        oBiasFollowsAttentionBias: false,
        slidingWindow: (c) =>
          cfgBool(c, 'use_sliding_window', false) ? cfgNumOrNull(c, 'sliding_window') : null,
        rmsEpsDefault: 1e-6,
      },
    ),
  weights: llamaLikeWeights,
};
