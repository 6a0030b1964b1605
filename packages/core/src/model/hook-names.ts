/**
 * TransformerLens hook names: a template-literal type for compile-time checks, the per-model list in cache
 * order, run-time validation with close-match suggestions, and each hook's shape and axes.
 */
import { closeMatches } from '../io/index.js';
import type { ModelConfig } from './config.js';

/**
 * Hook points inside block `L` (the part after `blocks.L.`).
 *
 * @example
 * const s: BlockHookSuffix = 'attn.hook_pattern';
 */
export type BlockHookSuffix =
  | 'hook_resid_pre'
  | 'ln1.hook_scale'
  | 'ln1.hook_normalized'
  | 'attn.hook_q'
  | 'attn.hook_k'
  | 'attn.hook_v'
  | 'attn.hook_rot_q'
  | 'attn.hook_rot_k'
  | 'attn.hook_attn_scores'
  | 'attn.hook_pattern'
  | 'attn.hook_z'
  | 'attn.hook_result'
  | 'hook_attn_out'
  | 'hook_resid_mid'
  | 'ln2.hook_scale'
  | 'ln2.hook_normalized'
  | 'mlp.hook_pre'
  | 'mlp.hook_pre_linear'
  | 'mlp.hook_post'
  | 'hook_mlp_out'
  | 'hook_resid_post';

/**
 * Every hook name of a hooked transformer (TransformerLens `HookedTransformer` names).
 *
 * @example
 * const name: HookName = 'blocks.3.attn.hook_pattern';
 * // const bad: HookName = 'blocks.3.hook_patern'; // compile error
 */
export type HookName =
  | 'hook_embed'
  | 'hook_pos_embed'
  | `blocks.${number}.${BlockHookSuffix}`
  | 'ln_final.hook_scale'
  | 'ln_final.hook_normalized'
  | 'unembed.hook_in'
  | 'unembed.hook_out';

/**
 * Shape classes of hook activations.
 *
 * @example
 * hookInfo(model.config, 'blocks.0.attn.hook_q').kind; // 'q'
 */
export type HookShapeKind = 'resid' | 'scale' | 'q' | 'kv' | 'scores' | 'mlp' | 'result' | 'logits';

/**
 * What a hook name denotes: layer, shape class, and where its position/head axes are.
 *
 * @example
 * const { layer, posAxis, headAxis } = hookInfo(model.config, 'blocks.1.attn.hook_pattern'); // 1, 2, 1
 */
export interface HookInfo {
  name: HookName;
  /** Block index, or null for hooks outside the blocks. */
  layer: number | null;
  kind: HookShapeKind;
  /** Axis of (query) positions. */
  posAxis: number;
  /** Axis of heads, or null when the activation has no head axis. */
  headAxis: number | null;
  /** Only computed when asked for by name (not part of a default full cache). */
  optIn: boolean;
}

interface SuffixSpec {
  suffix: BlockHookSuffix;
  kind: HookShapeKind;
  available: (cfg: ModelConfig) => boolean;
  optIn?: boolean;
}

const always = (): boolean => true;
const rotary = (cfg: ModelConfig): boolean => cfg.positional === 'rotary';

const BLOCK_SPECS: readonly SuffixSpec[] = [
  { suffix: 'hook_resid_pre', kind: 'resid', available: always },
  { suffix: 'ln1.hook_scale', kind: 'scale', available: always },
  { suffix: 'ln1.hook_normalized', kind: 'resid', available: always },
  { suffix: 'attn.hook_q', kind: 'q', available: always },
  { suffix: 'attn.hook_k', kind: 'kv', available: always },
  { suffix: 'attn.hook_v', kind: 'kv', available: always },
  { suffix: 'attn.hook_rot_q', kind: 'q', available: rotary },
  { suffix: 'attn.hook_rot_k', kind: 'kv', available: rotary },
  { suffix: 'attn.hook_attn_scores', kind: 'scores', available: always },
  { suffix: 'attn.hook_pattern', kind: 'scores', available: always },
  { suffix: 'attn.hook_z', kind: 'q', available: always },
  { suffix: 'attn.hook_result', kind: 'result', available: always, optIn: true },
  { suffix: 'hook_attn_out', kind: 'resid', available: always },
  { suffix: 'hook_resid_mid', kind: 'resid', available: (c) => !c.parallelResidual },
  { suffix: 'ln2.hook_scale', kind: 'scale', available: always },
  { suffix: 'ln2.hook_normalized', kind: 'resid', available: always },
  { suffix: 'mlp.hook_pre', kind: 'mlp', available: always },
  { suffix: 'mlp.hook_pre_linear', kind: 'mlp', available: (c) => c.gatedMLP },
  { suffix: 'mlp.hook_post', kind: 'mlp', available: always },
  { suffix: 'hook_mlp_out', kind: 'resid', available: always },
  { suffix: 'hook_resid_post', kind: 'resid', available: always },
];

const TOP_SPECS: readonly { name: HookName; kind: HookShapeKind; available: (c: ModelConfig) => boolean }[] =
  [
    { name: 'hook_embed', kind: 'resid', available: always },
    { name: 'hook_pos_embed', kind: 'resid', available: (c) => c.positional === 'learned' },
  ];
const FINAL_SPECS: readonly { name: HookName; kind: HookShapeKind }[] = [
  { name: 'ln_final.hook_scale', kind: 'scale' },
  { name: 'ln_final.hook_normalized', kind: 'resid' },
  { name: 'unembed.hook_in', kind: 'resid' },
  { name: 'unembed.hook_out', kind: 'logits' },
];

function axes(kind: HookShapeKind): { posAxis: number; headAxis: number | null } {
  if (kind === 'scores') return { posAxis: 2, headAxis: 1 };
  if (kind === 'q' || kind === 'kv' || kind === 'result') return { posAxis: 1, headAxis: 2 };
  return { posAxis: 1, headAxis: null };
}

/** Why a name is not a hook of this model: null when it is. */
function whyUnavailable(cfg: ModelConfig, suffix: BlockHookSuffix): string | null {
  if (suffix === 'attn.hook_rot_q' || suffix === 'attn.hook_rot_k') {
    return `${cfg.arch} has no rotary embeddings`;
  }
  if (suffix === 'hook_resid_mid') return `${cfg.arch} uses a parallel residual (no resid_mid)`;
  if (suffix === 'mlp.hook_pre_linear') return `${cfg.arch} has no gated MLP`;
  return null;
}

/**
 * Every hook name of a model in cache (execution) order, including opt-in ones (`attn.hook_result`).
 *
 * @example
 * hookNamesFor(model.config).filter((n) => n.endsWith('hook_resid_post'));
 */
export function hookNamesFor(cfg: ModelConfig): HookName[] {
  const out: HookName[] = [];
  for (const t of TOP_SPECS) if (t.available(cfg)) out.push(t.name);
  for (let l = 0; l < cfg.nLayers; l++) {
    for (const s of BLOCK_SPECS) if (s.available(cfg)) out.push(`blocks.${l}.${s.suffix}`);
  }
  for (const f of FINAL_SPECS) out.push(f.name);
  return out;
}

/**
 * Parses a hook name for a model; throws with a close-match suggestion when the name is unknown, refers to
 * a layer out of range, or is not available on this architecture.
 *
 * @example
 * hookInfo(model.config, 'blocks.0.attn.hook_z'); // { layer: 0, kind: 'q', posAxis: 1, headAxis: 2, ... }
 * hookInfo(model.config, 'blocks.0.hook_resid_pr'); // throws: did you mean 'blocks.0.hook_resid_pre'?
 */
export function hookInfo(cfg: ModelConfig, name: string): HookInfo {
  const top = TOP_SPECS.find((t) => t.name === name);
  if (top && !top.available(cfg)) {
    throw new Error(`hook '${name}' is not available on ${cfg.arch}: it uses rotary positions`);
  }
  const known = top ?? FINAL_SPECS.find((t) => t.name === name);
  if (known) return { name: known.name, layer: null, kind: known.kind, ...axes(known.kind), optIn: false };
  const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
  if (m) {
    const layer = Number(m[1]);
    const spec = BLOCK_SPECS.find((s) => s.suffix === m[2]);
    if (spec) {
      if (layer >= cfg.nLayers) {
        throw new Error(
          `hook '${name}': layer ${layer} is out of range (the model has ${cfg.nLayers} layers: 0..${cfg.nLayers - 1})`,
        );
      }
      if (!spec.available(cfg)) {
        throw new Error(`hook '${name}' is not available: ${whyUnavailable(cfg, spec.suffix)}`);
      }
      return {
        name: name as HookName,
        layer,
        kind: spec.kind,
        ...axes(spec.kind),
        optIn: spec.optIn === true,
      };
    }
  }
  const suggestions = closeMatches(name, hookNamesFor(cfg));
  const hint = suggestions.length ? `; did you mean ${suggestions.map((s) => `'${s}'`).join(' or ')}?` : '';
  throw new Error(`unknown hook name '${name}'${hint}`);
}

/**
 * Shape of a hook's activation for a run on `batch` sequences of `pos` new tokens (`keys` = total key
 * positions, `pos` plus cached ones, for attention scores/patterns).
 *
 * @example
 * hookShape(model.config, 'blocks.0.attn.hook_pattern', 2, 12); // [2, nHeads, 12, 12]
 */
export function hookShape(cfg: ModelConfig, name: string, batch: number, pos: number, keys = pos): number[] {
  const info = hookInfo(cfg, name);
  switch (info.kind) {
    case 'resid':
      return [batch, pos, cfg.dModel];
    case 'scale':
      return [batch, pos, 1];
    case 'q':
      return [batch, pos, cfg.nHeads, cfg.dHead];
    case 'kv':
      return [batch, pos, cfg.nKVHeads, cfg.dHead];
    case 'scores':
      return [batch, cfg.nHeads, pos, keys];
    case 'mlp':
      return [batch, pos, cfg.dMLP];
    case 'result':
      return [batch, pos, cfg.nHeads, cfg.dModel];
    case 'logits':
      return [batch, pos, cfg.dVocab];
  }
}
