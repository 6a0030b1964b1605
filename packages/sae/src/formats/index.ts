/**
 * SAE files: SAELens v6 folders (written and read), SAELens folders older than 6.0 and sparsify folders
 * and runs (read; sparsify also written for TopK SAEs).
 *
 * @example
 * import { loadSae, saveSae } from './formats/index.js';
 * await saveSae(sae, 'saes/l2', { sparsity: freq });
 * const again = await loadSae('saes/l2');
 */
export {
  type LoadSparsityOptions,
  loadSae,
  loadSparsity,
  type SaveSaeOptions,
  saveSae,
} from './saelens.js';
export { loadSparsifySaes, saveSparsifySae, sparsifyHookName } from './sparsify.js';
