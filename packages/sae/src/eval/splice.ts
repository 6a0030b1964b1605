/**
 * Splicing SAEs into a model run: a core hook at the SAE's hook point replaces the activation with the
 * SAE's reconstruction, and exposes the SAE's internals under SAELens's names (`{hook}.hook_sae_input`,
 * `.hook_sae_acts_pre`, `.hook_sae_acts_post`, `.hook_sae_recons`, `.hook_sae_error`, `.hook_sae_output`)
 * for reading (caching) or replacing (e.g. ablating a latent in `hook_sae_acts_post`).
 */
import { type Hook, type HookedTransformer, type HookName, type TokensInput, tf } from '@mechlens/core';
import type { Sae } from '../sae.js';
import { denseCode } from '../sae.js';

/** The SAE-internal hook points, as suffixes of `{hook_name}.` (SAELens names). */
export const SAE_HOOKS = [
  'hook_sae_input',
  'hook_sae_acts_pre',
  'hook_sae_acts_post',
  'hook_sae_recons',
  'hook_sae_error',
  'hook_sae_output',
] as const;

/** One SAE-internal hook point. */
export type SaeHookSuffix = (typeof SAE_HOOKS)[number];

/**
 * A function on an SAE-internal activation; returning a tensor replaces it.
 *
 * @example
 * const ablate5: SaeHookFn = (acts) => acts.mul(tf.oneHot([5], acts.shape.at(-1)!).sum(0).neg().add(1));
 */
// biome-ignore lint/suspicious/noConfusingVoidType: read-only hooks are written as plain statements
export type SaeHookFn = (activation: tf.Tensor) => tf.Tensor | undefined | void;

/**
 * Options of {@link saeHook}.
 *
 * @example
 * saeHook(sae, { useErrorTerm: true, hooks: { hook_sae_acts_post: ablate5 } });
 */
export interface SpliceOptions {
  /**
   * Add the SAE's error `x − x̂` back, so the model's output is unchanged unless a hook edits the SAE's
   * internals (SAELens's `use_error_term`; default false: the model sees the reconstruction).
   */
  useErrorTerm?: boolean;
  /** Hooks on the SAE internals. */
  hooks?: Partial<Record<SaeHookSuffix, SaeHookFn>>;
  /**
   * g-SAE: the LM-loss gradient at the clean activation, the activation's shape (the gradient-aware
   * selection; without it g-SAE selects like TopK).
   */
  grad?: tf.Tensor;
  /** Keep copies of these internals here, keyed `{hook_name}.{suffix}` (the caller disposes them). */
  cache?: { names: readonly SaeHookSuffix[]; into: Map<string, tf.Tensor> };
}

function apply(fn: SaeHookFn | undefined, t: tf.Tensor): tf.Tensor {
  if (!fn) return t;
  const r = fn(t);
  if (r === undefined || r === null) return t;
  if (r.shape.length !== t.shape.length || r.shape.some((v, i) => v !== t.shape[i]))
    throw new Error(`SAE hook returned shape [${r.shape}], expected [${t.shape}]`);
  return r;
}

/**
 * A core hook that splices `sae` into a model run at `sae.cfg.metadata.hookName`.
 *
 * @example
 * const logits = model.runWithHooks(ids, [saeHook(sae)]);
 */
export function saeHook(sae: Sae, opts: SpliceOptions = {}): Hook {
  const name = sae.cfg.metadata.hookName as HookName;
  const h = opts.hooks ?? {};
  const want = new Set(opts.cache?.names ?? []);
  const needDense =
    h.hook_sae_acts_pre ||
    h.hook_sae_acts_post ||
    want.has('hook_sae_acts_pre') ||
    want.has('hook_sae_acts_post');
  const keep = (suffix: SaeHookSuffix, t: tf.Tensor) => {
    if (!want.has(suffix)) return;
    const key = `${name}.${suffix}`;
    opts.cache?.into.get(key)?.dispose();
    opts.cache?.into.set(key, tf.keep(t.clone()));
  };
  return {
    name,
    fn: (x) => {
      const shape = x.shape;
      const lead = shape.slice(0, -1);
      const input = apply(h.hook_sae_input, x);
      keep('hook_sae_input', input);
      if (opts.grad?.shape.some((v, i) => v !== shape[i]))
        throw new Error(`saeHook: grad has shape [${opts.grad.shape}], the activation [${shape}]`);
      const enc = sae.encodeRows(input.reshape([-1, sae.cfg.dIn]) as tf.Tensor2D, { grad: opts.grad });
      let recons: tf.Tensor;
      if (needDense) {
        const pre = apply(h.hook_sae_acts_pre, sae.preActivations(input));
        keep('hook_sae_acts_pre', pre);
        const post = apply(
          h.hook_sae_acts_post,
          denseCode(enc.code, sae.cfg.dSae).reshape([...lead, sae.cfg.dSae]),
        );
        keep('hook_sae_acts_post', post);
        recons = sae.decode(
          { values: post.reshape([-1, sae.cfg.dSae]) as tf.Tensor2D, indices: null },
          enc.norm,
        );
      } else recons = sae.decode(enc.code, enc.norm);
      recons = apply(h.hook_sae_recons, recons.reshape(shape));
      keep('hook_sae_recons', recons);
      let out = recons;
      if (opts.useErrorTerm || h.hook_sae_error || want.has('hook_sae_error')) {
        // the error of the unedited SAE on the unedited input
        const clean = sae.forward(x, { grad: opts.grad }).recons;
        const err = apply(h.hook_sae_error, tf.sub(x, clean));
        keep('hook_sae_error', err);
        if (opts.useErrorTerm) out = tf.add(recons, err);
      }
      out = apply(h.hook_sae_output, out);
      keep('hook_sae_output', out);
      return out;
    },
  };
}

/**
 * Runs the model with SAEs spliced in, returning the logits and (optionally) the SAEs' internals.
 *
 * @example
 * const { logits, cache } = runWithSaes(model, ids, [sae], { cache: ['hook_sae_acts_post'] });
 * cache.get('blocks.2.hook_resid_pre.hook_sae_acts_post')?.print();
 */
export function runWithSaes(
  model: HookedTransformer,
  ids: TokensInput,
  saes: readonly Sae[],
  opts: { cache?: readonly SaeHookSuffix[]; useErrorTerm?: boolean; hooks?: readonly Hook[] } = {},
): { logits: tf.Tensor3D; cache: Map<string, tf.Tensor> } {
  const cache = new Map<string, tf.Tensor>();
  const hooks = saes.map((sae) =>
    saeHook(sae, {
      useErrorTerm: opts.useErrorTerm,
      cache: opts.cache ? { names: opts.cache, into: cache } : undefined,
    }),
  );
  const logits = model.runWithHooks(ids, [...(opts.hooks ?? []), ...hooks]);
  return { logits, cache };
}
