/**
 * The io layer of `@mechlens/core`: safetensors read/write, checkpoint folders, Hugging Face hub
 * downloads into the shared HF cache, tokenizers and a reusable progress bar.
 *
 * @example
 * import { resolveSource, openCheckpoint, loadTokenizer } from '@mechlens/core';
 * const dir = await resolveSource('gpt2');
 * const ckpt = openCheckpoint(dir);
 * const tok = ckpt.tokenizerPath ? await loadTokenizer(ckpt.tokenizerPath) : null;
 */

export { type Checkpoint, loadCheckpoint, openCheckpoint, resolveSource } from './checkpoint.js';
export { closeMatches, editDistance } from './closeMatches.js';
export {
  CheckpointError,
  type CheckpointErrorCode,
  HubError,
  type HubErrorCode,
  SafetensorsError,
  type SafetensorsErrorCode,
} from './errors.js';
export { decodeBF16, decodeF16, encodeBF16, encodeF16, f32ToBF16Bits, f32ToF16Bits } from './halfFloat.js';
export {
  type DownloadProgress,
  type HubDownloadResult,
  type HubOptions,
  hubDownload,
  hubFileExists,
  hubFileUrl,
  isHubOffline,
  resolveHubToken,
} from './hub.js';
export { hfHome, hubCacheDir, isCommitHash, repoCacheDir, validateRepoId } from './hubCache.js';
export {
  formatBytes,
  formatCount,
  formatDuration,
  ProgressBar,
  type ProgressBarOptions,
  type ProgressStream,
} from './progress.js';
export {
  DTYPE_BYTES,
  MAX_HEADER_BYTES,
  openSafetensors,
  parseSafetensorsHeader,
  type SafetensorsDtype,
  type SafetensorsFile,
  type SafetensorsHeader,
  shapeSize,
  type TensorEntry,
  type TensorToWrite,
  writeSafetensors,
} from './safetensors.js';
export { downloadSnapshot, OPTIONAL_SNAPSHOT_FILES, pickleMessage, shardFiles } from './snapshot.js';
export { loadTokenizer, type Tokenizer } from './tokenizer.js';
