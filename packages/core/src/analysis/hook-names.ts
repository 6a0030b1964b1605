/**
 * The hook points the analysis functions read, as a names filter for `runWithCache`.
 */
import type { ModelConfig } from '../model/config.js';
import type { HookName } from '../model/hook-names.js';

/**
 * Every hook name that {@link accumulatedResid}, {@link decomposeResid}, {@link applyLnToStack},
 * {@link stackHeadResults}, {@link logitLens} and {@link directLogitAttribution} may read: embeddings, the
 * residual stream at every depth, attention/MLP outputs, `hook_z` and every norm's `hook_scale` — a much
 * smaller cache than the default full one (no patterns, q/k/v or MLP hidden activations).
 *
 * @example
 * const { logits, cache } = model.runWithCache(ids, { names: analysisHookNames(model.config) });
 */
export function analysisHookNames(cfg: ModelConfig): HookName[] {
  const names: HookName[] = ['hook_embed'];
  if (cfg.positional === 'learned') names.push('hook_pos_embed');
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `blocks.${l}.` as const;
    names.push(`${p}hook_resid_pre`, `${p}ln1.hook_scale`, `${p}attn.hook_z`, `${p}hook_attn_out`);
    if (!cfg.parallelResidual) names.push(`${p}hook_resid_mid`);
    names.push(`${p}ln2.hook_scale`, `${p}hook_mlp_out`, `${p}hook_resid_post`);
  }
  names.push('ln_final.hook_scale');
  return names;
}
