/**
 * sparsify (EleutherAI) run folders: a root with an optional `config.json` (the training config: `model`,
 * `dataset`, `ctx_len`, ...) and one folder per hookpoint, each holding `cfg.json` (`activation`,
 * `expansion_factor`, `num_latents`, `k`, `d_in`, ...) and `sae.safetensors` (`encoder.weight [n, d]`,
 * `encoder.bias [n]`, `W_dec [n, d]`, `b_dec [d]`). sparsify SAEs are TopK with an encoder bias and
 * `b_dec` subtracted from the input, which is mechlens's `topk` exactly (ReLU, then the k largest).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { architecture } from '../architectures/registry.js';
import type { Sae } from '../sae.js';
import { hostParams, loadSae, writeFolderAtomic } from './saelens.js';

// The hookpoint → hook name mapping is also needed by `loadSae` (which reads single sparsify folders),
// so it lives next to it and is re-exported here.
export { sparsifyHookName } from './saelens.js';

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Loads every SAE of a sparsify run folder, keyed by TransformerLens hook name (from the hookpoint
 * folder names, see {@link sparsifyHookName}; `blocks.N.hook_resid_post` for `layers.N`). Subfolders
 * without a `cfg.json` are skipped; `root` itself may also be a single hookpoint folder. On an error no
 * SAE stays allocated.
 *
 * @example
 * const saes = await loadSparsifySaes('checkpoints/pythia-70m-topk');
 * const sae = saes.get('blocks.3.hook_resid_post');
 * for (const s of saes.values()) s.dispose();
 */
export async function loadSparsifySaes(root: string): Promise<Map<string, Sae>> {
  if (!existsSync(root)) throw new Error(`loadSparsifySaes: folder '${root}' does not exist`);
  const folders = existsSync(join(root, 'cfg.json'))
    ? ['.']
    : readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'cfg.json')))
        .map((e) => e.name)
        .sort(naturalCompare);
  if (!folders.length)
    throw new Error(
      `loadSparsifySaes: no SAE folders in '${root}' (expected one folder per hookpoint, e.g. layers.3/, ` +
        'holding cfg.json + sae.safetensors)',
    );
  const out = new Map<string, Sae>();
  const from = new Map<string, string>();
  try {
    for (const folder of folders) {
      const sae = await loadSae(join(root, folder));
      const hook = sae.cfg.metadata.hookName;
      if (out.has(hook)) {
        sae.dispose();
        throw new Error(
          `loadSparsifySaes: folders '${from.get(hook)}' and '${folder}' both map to hook '${hook}'`,
        );
      }
      out.set(hook, sae);
      from.set(hook, folder);
    }
  } catch (e) {
    for (const sae of out.values()) sae.dispose();
    throw e;
  }
  return out;
}

/**
 * Saves a TopK-family SAE (`topk`, or `gsae`, which runs as TopK without a gradient) as a sparsify
 * hookpoint folder: `cfg.json` (sparsify's fields plus a `mechlens` block with the full config, which
 * sparsify ignores) and `sae.safetensors` (`encoder.weight [dSae, dIn]`, `encoder.bias`, `W_dec`,
 * `b_dec`, F32), written atomically. sparsify names the folder after the hookpoint (`layers.3`);
 * architectures sparsify cannot run (ReLU, top-AFA) or input normalisation are errors.
 *
 * @example
 * await saveSparsifySae(sae, 'runs/my-run/layers.3');
 */
export async function saveSparsifySae(sae: Sae, dir: string): Promise<void> {
  const { cfg } = sae;
  if (architecture(cfg.architecture).saelensArchitecture !== 'topk')
    throw new Error(
      `saveSparsifySae: sparsify folders hold TopK SAEs; a '${cfg.architecture}' SAE cannot be written ` +
        '(use saveSae for a SAELens folder)',
    );
  if (cfg.normalizeActivations !== 'none')
    throw new Error(
      `saveSparsifySae: sparsify has no input normalisation; this SAE uses '${cfg.normalizeActivations}'`,
    );
  const { dIn, dSae } = cfg;
  const host = await hostParams(sae);
  writeFolderAtomic(
    dir,
    {
      'cfg.json': {
        json: {
          activation: 'topk',
          expansion_factor: Math.max(1, Math.floor(dSae / dIn)),
          normalize_decoder: true,
          num_latents: dSae,
          k: cfg.k,
          multi_topk: false,
          skip_connection: false,
          transcode: false,
          d_in: dIn,
          mechlens: JSON.parse(JSON.stringify(cfg)),
        },
      },
      'sae.safetensors': {
        tensors: {
          'encoder.weight': { dtype: 'F32', shape: [dSae, dIn], data: host.encoder },
          'encoder.bias': { dtype: 'F32', shape: [dSae], data: host.bEnc },
          W_dec: { dtype: 'F32', shape: [dSae, dIn], data: host.decoder },
          b_dec: { dtype: 'F32', shape: [dIn], data: host.bDec },
        },
        metadata: { format: 'pt' },
      },
    },
    'saveSparsifySae',
  );
}
