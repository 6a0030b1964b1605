/**
 * Error classes of the io layer. Every error says what was being read (file, tensor, repo) and why
 * it failed, and carries a machine-readable `code` for callers and tests.
 */

/**
 * Machine-readable reason of a {@link SafetensorsError}.
 *
 * @example
 * const code: SafetensorsErrorCode = 'TRUNCATED';
 */
export type SafetensorsErrorCode =
  | 'TRUNCATED'
  | 'HEADER_LENGTH'
  | 'HEADER_NOT_JSON'
  | 'HEADER_INVALID'
  | 'UNKNOWN_DTYPE'
  | 'BAD_OFFSETS'
  | 'OVERLAP'
  | 'GAP'
  | 'SIZE_MISMATCH'
  | 'MISSING_TENSOR'
  | 'WRONG_DTYPE'
  | 'WRONG_SHAPE'
  | 'OUT_OF_RANGE'
  | 'INVALID_ARGUMENT'
  | 'CLOSED';

/**
 * A malformed or unreadable safetensors file, or a bad request against one (missing tensor, wrong
 * dtype, wrong shape).
 *
 * @example
 * try { openSafetensors('bad.safetensors'); }
 * catch (e) { if (e instanceof SafetensorsError && e.code === 'TRUNCATED') console.error(e.message); }
 */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  constructor(
    /** Why it failed. */
    readonly code: SafetensorsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Machine-readable reason of a {@link CheckpointError}.
 *
 * @example
 * const code: CheckpointErrorCode = 'PICKLE_REFUSED';
 */
export type CheckpointErrorCode =
  | 'NOT_FOUND'
  | 'MISSING_CONFIG'
  | 'BAD_CONFIG'
  | 'NO_WEIGHTS'
  | 'PICKLE_REFUSED'
  | 'BAD_INDEX'
  | 'MISSING_SHARD'
  | 'MISSING_TENSOR'
  | 'WRONG_SHAPE'
  | 'NO_TOKENIZER'
  | 'BAD_TOKENIZER';

/**
 * A checkpoint folder that cannot be used: no config.json, no safetensors weights, a pickle-only
 * checkpoint, a broken shard index, a missing tensor, a missing tokenizer.json.
 *
 * @example
 * try { openCheckpoint('./my-model'); }
 * catch (e) { if (e instanceof CheckpointError && e.code === 'PICKLE_REFUSED') console.error(e.message); }
 */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    /** Why it failed. */
    readonly code: CheckpointErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Machine-readable reason of a {@link HubError}.
 *
 * @example
 * const code: HubErrorCode = 'NOT_FOUND';
 */
export type HubErrorCode =
  | 'BAD_REPO_ID'
  | 'NOT_FOUND'
  | 'REPO_NOT_FOUND'
  | 'REVISION_NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'HTTP'
  | 'NETWORK'
  | 'SIZE_MISMATCH'
  | 'CHECKSUM'
  | 'BAD_RESPONSE'
  | 'OFFLINE';

/**
 * A failed Hugging Face hub download. `repo`, `file`, `revision` and `status` (HTTP status, when
 * there was a response) say exactly what failed.
 *
 * @example
 * try { await hubDownload('gpt2', 'nope.json'); }
 * catch (e) { if (e instanceof HubError && e.status === 404) console.error(e.message); }
 */
export class HubError extends Error {
  override readonly name = 'HubError';
  constructor(
    /** Why it failed. */
    readonly code: HubErrorCode,
    message: string,
    /** Repo id, file and revision involved (file is absent for whole-repo failures). */
    readonly info: { repo: string; file?: string; revision?: string; status?: number; url?: string } = {
      repo: '',
    },
  ) {
    super(message);
  }

  /** HTTP status of the failing response, if any. */
  get status(): number | undefined {
    return this.info.status;
  }
}
