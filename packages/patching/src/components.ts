/**
 * The components a sweep patches: which hook point holds them and which cells (layer × position ×
 * head) a sweep enumerates.
 */
import type { HookName, ModelConfig } from '@mechlens/core';

/**
 * Component types: the residual stream entering a block, the attention and MLP outputs of a block, and
 * individual attention heads (their `hook_z` outputs).
 *
 * @example
 * const c: ComponentType = 'attn_out';
 */
export type ComponentType = 'resid_pre' | 'attn_out' | 'mlp_out' | 'head';

/**
 * All component types, in report order.
 *
 * @example
 * COMPONENT_TYPES.includes('head'); // true
 */
export const COMPONENT_TYPES: readonly ComponentType[] = ['resid_pre', 'attn_out', 'mlp_out', 'head'];

/**
 * One patched cell: a layer, a position (null: every position at once) and a head (null unless heads).
 *
 * @example
 * const cell: Cell = { layer: 3, pos: null, head: 1 };
 */
export interface Cell {
  layer: number;
  pos: number | null;
  head: number | null;
}

/**
 * The hook point holding a component of a layer.
 *
 * @example
 * componentHook('head', 2); // 'blocks.2.attn.hook_z'
 */
export function componentHook(type: ComponentType, layer: number): HookName {
  switch (type) {
    case 'resid_pre':
      return `blocks.${layer}.hook_resid_pre`;
    case 'attn_out':
      return `blocks.${layer}.hook_attn_out`;
    case 'mlp_out':
      return `blocks.${layer}.hook_mlp_out`;
    case 'head':
      return `blocks.${layer}.attn.hook_z`;
  }
}

/**
 * Throws a clear error for an unknown component type (with the known ones).
 *
 * @example
 * checkComponent('attn_out'); // ok
 * checkComponent('attn'); // throws: unknown component "attn"; use one of resid_pre, attn_out, mlp_out, head
 */
export function checkComponent(type: string): asserts type is ComponentType {
  if (!COMPONENT_TYPES.includes(type as ComponentType)) {
    throw new Error(`unknown component "${type}"; use one of ${COMPONENT_TYPES.join(', ')}`);
  }
}

/**
 * The cells of a sweep, layer-major: per (layer, position) for residual/attention/MLP outputs and per
 * (layer, head) over all positions for heads, unless `perPosition` says otherwise.
 *
 * @example
 * enumerateCells(model.cfg, 'head', 12, false).length; // nLayers × nHeads
 */
export function enumerateCells(
  cfg: ModelConfig,
  type: ComponentType,
  T: number,
  perPosition: boolean,
): Cell[] {
  const cells: Cell[] = [];
  const positions = perPosition ? Array.from({ length: T }, (_, p) => p) : [null];
  for (let layer = 0; layer < cfg.nLayers; layer++) {
    if (type === 'head') {
      for (let head = 0; head < cfg.nHeads; head++) {
        for (const pos of positions) cells.push({ layer, pos, head });
      }
    } else {
      for (const pos of positions) cells.push({ layer, pos, head: null });
    }
  }
  return cells;
}
