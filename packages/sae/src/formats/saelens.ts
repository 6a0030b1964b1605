/**
 * SAE folders on disk: the SAELens v6 folder (the format mechlens writes), SAELens configs older than
 * 6.0 (flat `cfg.json`) and sparsify hookpoint folders (read by {@link loadSae}; the run-level reader and
 * the sparsify writer are in `sparsify.ts`).
 *
 * SAELens v6 folder: `cfg.json` + `sae_weights.safetensors` (`W_enc [d_in, d_sae]`, `b_enc [d_sae]`,
 * `W_dec [d_sae, d_in]`, `b_dec [d_in]`) + optional `sparsity.safetensors` (`sparsity [d_sae]`, log10 of
 * each latent's firing frequency). mechlens keeps its encoder one row per latent (`[d_sae, d_in]`,
 * sparsify's layout), so `W_enc` on disk is the transpose of `params.encoder`.
 *
 * sparsify folder: `cfg.json` (`activation`, `expansion_factor`, `num_latents`, `k`, `d_in`, ...) +
 * `sae.safetensors` (`encoder.weight [n, d]`, `encoder.bias [n]`, `W_dec [n, d]`, `b_dec [d]`).
 *
 * Every folder is written atomically: it is built in a hidden sibling folder and renamed into place.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  closeMatches,
  openSafetensors,
  type SafetensorsFile,
  type TensorToWrite,
  tf,
  writeSafetensors,
} from '@mechlens/core';
import { architecture } from '../architectures/registry.js';
import { type InputNormalization, type SaeConfig, type SaeConfigInput, saeConfig } from '../config.js';
import { Sae } from '../sae.js';

/** SAELens's config file name (also sparsify's). */
const CFG_FILE = 'cfg.json';
/** SAELens's weights file. */
const SAELENS_WEIGHTS = 'sae_weights.safetensors';
/** SAELens's optional sparsity file. */
const SPARSITY_FILE = 'sparsity.safetensors';
/** sparsify's weights file. */
const SPARSIFY_WEIGHTS = 'sae.safetensors';
/** The `metadata.sae_lens_version` written (the v6 layout: SAELens reads it without pre-6 migration). */
const SAE_LENS_VERSION = '6.0.0';
/** Floor of the stored firing frequency: log10(1e-10) = −10 marks a latent that never fired. */
const SPARSITY_FLOOR = 1e-10;
/** Files a folder may hold for {@link writeFolderAtomic} to replace it. */
/** Files an SAE folder may hold and a new save may replace (the last two: what `mechlens train-sae` adds). */
const REPLACEABLE = new Set([
  CFG_FILE,
  SAELENS_WEIGHTS,
  SPARSITY_FILE,
  SPARSIFY_WEIGHTS,
  'metrics.json',
  'training_log.jsonl',
]);
/** SAELens architectures mechlens can run (plus its own `topafa`). */
const READABLE_SAELENS = ['standard', 'topk', 'topafa'];

/**
 * Options of {@link saveSae}.
 *
 * @example
 * await saveSae(sae, 'saes/l2', { sparsity: firingFrequencies }); // frequencies in [0, 1], length dSae
 */
export interface SaveSaeOptions {
  /**
   * Each latent's firing frequency in [0, 1] (fraction of tokens where it is active), length `dSae`.
   * Written to `sparsity.safetensors` as SAELens does: `log10(max(f, 1e-10))`.
   */
  sparsity?: Float32Array;
}

/**
 * Options of {@link loadSparsity}.
 *
 * @example
 * const log10Freq = await loadSparsity('saes/l2', { log: true });
 */
export interface LoadSparsityOptions {
  /** Return the stored log10 values instead of frequencies (default false). */
  log?: boolean;
}

/**
 * The four SAE parameters on the host, mechlens layout (`encoder` and `decoder` `[dSae, dIn]` row-major).
 *
 * @example
 * const host: HostSaeParams = await hostParams(sae);
 * host.encoder.length === sae.cfg.dSae * sae.cfg.dIn;
 */
export interface HostSaeParams {
  encoder: Float32Array;
  bEnc: Float32Array;
  decoder: Float32Array;
  bDec: Float32Array;
}

/**
 * One file of a folder written by {@link writeFolderAtomic}: a JSON document or a safetensors file.
 *
 * @example
 * const f: FolderFile = { json: { d_in: 8 } };
 * const g: FolderFile = { tensors: { b_dec: { dtype: 'F32', shape: [8], data: new Float32Array(8) } } };
 */
export type FolderFile =
  | { json: unknown }
  | { tensors: Record<string, TensorToWrite>; metadata?: Record<string, string> };

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Typed, optional reads of config fields with an error that names the file and the field. */
class Fields {
  constructor(
    readonly obj: JsonObject,
    readonly where: string,
  ) {}

  private bad(key: string, want: string): never {
    throw new Error(`${this.where}: '${key}' must be ${want}, got ${JSON.stringify(this.obj[key])}`);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  int(key: string): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.bad(key, 'a non-negative integer');
    return v;
  }

  str(key: string): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') this.bad(key, 'a string');
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.bad(key, 'true or false');
    return v;
  }
}

function checkFolder(dir: string, what: string): void {
  if (!existsSync(dir)) throw new Error(`${what}: folder '${dir}' does not exist`);
  if (!statSync(dir).isDirectory()) throw new Error(`${what}: '${dir}' is a file, not a folder`);
}

function readJsonObject(path: string): JsonObject {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) throw new Error(`${path}: expected a JSON object`);
  return json;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Reads one float tensor (F32, F16, BF16 or F64, returned as float32), with errors that name the file,
 * the tensor, what it is, and the expected shape.
 */
function readTensor(file: SafetensorsFile, name: string, shape: number[], what: string): Float32Array {
  const entry = file.entries.get(name);
  if (!entry) {
    const names = [...file.entries.keys()];
    const near = closeMatches(name, names);
    throw new Error(
      `${file.path}: missing tensor '${name}' (${what}, expected shape [${shape.join(', ')}]); ` +
        `the file holds ${names.length ? names.map((n) => `'${n}'`).join(', ') : 'no tensors'}` +
        (near.length ? ` (did you mean ${near.map((n) => `'${n}'`).join(', ')}?)` : ''),
    );
  }
  if (!sameShape(entry.shape, shape)) {
    const transposed = shape.length === 2 && sameShape(entry.shape, [shape[1], shape[0]]);
    throw new Error(
      `${file.path}: tensor '${name}' (${what}) has shape [${entry.shape.join(', ')}], expected ` +
        `[${shape.join(', ')}]${transposed ? ' (it looks transposed)' : ''}`,
    );
  }
  return file.readF32(name).data;
}

function transposeHost(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

/**
 * The SAE's parameters copied to the host (no tensors are created). Without an encoder bias
 * (`cfg.encoderBias` false) the bias is written as zeros, which is what the SAE computes with.
 *
 * @example
 * const { encoder, bDec } = await hostParams(sae);
 */
export async function hostParams(sae: Sae): Promise<HostSaeParams> {
  const { params, cfg } = sae;
  const [encoder, bEnc, decoder, bDec] = (await Promise.all([
    params.encoder.data(),
    params.bEnc.data(),
    params.decoder.data(),
    params.bDec.data(),
  ])) as Float32Array[];
  return { encoder, bEnc: cfg.encoderBias ? bEnc : new Float32Array(cfg.dSae), decoder, bDec };
}

/**
 * An {@link Sae} from a config and host parameters (mechlens layout). The SAE owns the new variables;
 * nothing else is left allocated.
 *
 * @example
 * const sae = saeFromHost(cfg, { encoder, bEnc, decoder, bDec });
 */
export function saeFromHost(cfg: SaeConfig, host: HostSaeParams): Sae {
  const { dIn, dSae } = cfg;
  const params = tf.tidy(() => ({
    encoder: tf.variable(tf.tensor2d(host.encoder, [dSae, dIn], 'float32'), true),
    bEnc: tf.variable(tf.tensor1d(host.bEnc, 'float32'), cfg.encoderBias),
    decoder: tf.variable(tf.tensor2d(host.decoder, [dSae, dIn], 'float32'), true),
    bDec: tf.variable(tf.tensor1d(host.bDec, 'float32'), true),
  }));
  try {
    return new Sae(cfg, params);
  } catch (e) {
    for (const v of Object.values(params)) v.dispose();
    throw e;
  }
}

function fsyncPath(path: string): void {
  // Flushes a folder entry (rename durability); not every platform can open a folder, so best effort.
  try {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported here
  }
}

function writeJsonFile(path: string, value: unknown): void {
  const fd = openSync(path, 'wx');
  try {
    const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a folder atomically: the files are written into a hidden sibling folder
 * (`.<name>.<pid>.<tag>.tmp`) which is renamed to `dir` once complete. An existing `dir` is replaced —
 * only when it holds nothing but SAE files (`cfg.json`, `sae_weights.safetensors`,
 * `sparsity.safetensors`, `sae.safetensors`, and the `metrics.json` / `training_log.jsonl` that
 * `mechlens train-sae` adds), otherwise this throws and changes nothing. The swap is
 * two renames (`dir` → `.<name>.<pid>.<tag>.old`, temp → `dir`), then the old folder is removed; a crash
 * between the two renames leaves both complete folders under those hidden names. On any error the
 * temporary folder is removed.
 *
 * @example
 * writeFolderAtomic('saes/l2', { 'cfg.json': { json: { d_in: 8 } } }, 'saveSae');
 */
export function writeFolderAtomic(dir: string, files: Record<string, FolderFile>, what: string): void {
  const target = resolve(dir);
  const parent = dirname(target);
  const name = basename(target);
  mkdirSync(parent, { recursive: true });
  const exists = existsSync(target);
  if (exists) {
    if (!statSync(target).isDirectory()) throw new Error(`${what}: '${dir}' exists and is not a folder`);
    const foreign = readdirSync(target).filter((f) => !REPLACEABLE.has(f));
    if (foreign.length) {
      throw new Error(
        `${what}: refusing to replace '${dir}': it holds files that are not part of an SAE folder ` +
          `(${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}); remove them or choose another folder`,
      );
    }
  }
  const tag = `${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const tmp = join(parent, `.${name}.${tag}.tmp`);
  mkdirSync(tmp);
  try {
    for (const [file, content] of Object.entries(files)) {
      const path = join(tmp, file);
      if ('json' in content) writeJsonFile(path, content.json);
      else writeSafetensors(path, content.tensors, content.metadata);
    }
    fsyncPath(tmp);
    if (exists) {
      const old = join(parent, `.${name}.${tag}.old`);
      renameSync(target, old);
      try {
        renameSync(tmp, target);
      } catch (e) {
        renameSync(old, target);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
    fsyncPath(parent);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The config as plain JSON (a deep copy). */
function configJson(cfg: SaeConfig): JsonObject {
  return JSON.parse(JSON.stringify(cfg)) as JsonObject;
}

/** The SAELens v6 `cfg.json` of an SAE. */
function saelensCfgJson(cfg: SaeConfig): JsonObject {
  const m = cfg.metadata;
  return {
    architecture: architecture(cfg.architecture).saelensArchitecture ?? cfg.architecture,
    d_in: cfg.dIn,
    d_sae: cfg.dSae,
    dtype: 'float32',
    device: 'cpu',
    apply_b_dec_to_input: true,
    normalize_activations: cfg.normalizeActivations,
    reshape_activations: 'none',
    ...(cfg.architecture === 'relu' ? {} : { k: cfg.k }),
    rescale_acts_by_decoder_norm: false,
    metadata: {
      sae_lens_version: SAE_LENS_VERSION,
      model_name: m.modelName,
      hook_name: m.hookName,
      hook_head_index: null,
      context_size: m.contextSize,
      prepend_bos: m.prependBos,
      dataset_path: m.datasetPath,
      seqpos_slice: [null],
      model_from_pretrained_kwargs: {},
      exclude_special_tokens: m.excludeSpecialTokens,
      neuronpedia_id: null,
    },
    mechlens: configJson(cfg),
  };
}

function sparsityTensor(sparsity: Float32Array, dSae: number): Float32Array {
  if (sparsity.length !== dSae)
    throw new Error(`saveSae: sparsity has ${sparsity.length} entries, expected one per latent (${dSae})`);
  const out = new Float32Array(dSae);
  for (let i = 0; i < dSae; i++) {
    const f = sparsity[i];
    if (!(f >= 0 && f <= 1))
      throw new Error(`saveSae: sparsity[${i}] = ${f} is not a firing frequency in [0, 1]`);
    out[i] = Math.log10(Math.max(f, SPARSITY_FLOOR));
  }
  return out;
}

/**
 * Saves an SAE as a SAELens v6 folder: `cfg.json`, `sae_weights.safetensors` (`W_enc [d_in, d_sae]` —
 * the transpose of `params.encoder` —, `b_enc [d_sae]`, `W_dec [d_sae, d_in]`, `b_dec [d_in]`, all F32)
 * and, with `opts.sparsity` (firing frequencies in [0, 1]), `sparsity.safetensors` holding
 * `sparsity [d_sae] = log10(max(f, 1e-10))`.
 *
 * `cfg.json` carries SAELens's fields — `architecture` is what SAELens can run: `topk` for TopK and g-SAE
 * (g-SAE selects like TopK without a gradient), `standard` for ReLU, and `topafa` (no SAELens
 * equivalent) for top-AFA — plus a `mechlens` object holding the full {@link SaeConfig}, so
 * {@link loadSae} restores g-SAE, top-AFA and the encoder-bias setting exactly. Without an encoder bias
 * `b_enc` is written as zeros. The folder is written atomically (built in a hidden sibling folder and
 * renamed into place); an existing SAE folder at `dir` is replaced, a folder holding other files is not.
 *
 * @example
 * const sae = Sae.init(saeConfig({ architecture: 'topk', dIn: 128, dSae: 2048, k: 32 }), { seed: 0 });
 * await saveSae(sae, 'saes/blocks.2.hook_resid_pre');
 * const again = await loadSae('saes/blocks.2.hook_resid_pre');
 */
export async function saveSae(sae: Sae, dir: string, opts: SaveSaeOptions = {}): Promise<void> {
  const { cfg } = sae;
  const { dIn, dSae } = cfg;
  const host = await hostParams(sae);
  const files: Record<string, FolderFile> = {
    [CFG_FILE]: { json: saelensCfgJson(cfg) },
    [SAELENS_WEIGHTS]: {
      tensors: {
        W_enc: { dtype: 'F32', shape: [dIn, dSae], data: transposeHost(host.encoder, dSae, dIn) },
        b_enc: { dtype: 'F32', shape: [dSae], data: host.bEnc },
        W_dec: { dtype: 'F32', shape: [dSae, dIn], data: host.decoder },
        b_dec: { dtype: 'F32', shape: [dIn], data: host.bDec },
      },
    },
  };
  if (opts.sparsity) {
    files[SPARSITY_FILE] = {
      tensors: { sparsity: { dtype: 'F32', shape: [dSae], data: sparsityTensor(opts.sparsity, dSae) } },
    };
  }
  writeFolderAtomic(dir, files, 'saveSae');
}

/**
 * The TransformerLens hook name of a sparsify hookpoint (a module path relative to the model, also the
 * name of its folder): `layers.N` → `blocks.N.hook_resid_post`, `layers.N.mlp` → `blocks.N.hook_mlp_out`,
 * `layers.N.self_attn` / `layers.N.attn` → `blocks.N.hook_attn_out`, `embed_tokens` → `hook_embed`.
 * Also accepted: GPT-2's `h.N` for `layers.N`, `layers_N` (as SAELens's sparsify loader), a module
 * prefix (`model.layers.N`, `gpt_neox.layers.N`) and `wte` / `embed_in` for the embedding. Other names
 * are returned unchanged.
 *
 * @example
 * sparsifyHookName('layers.6'); // 'blocks.6.hook_resid_post'
 * sparsifyHookName('layers.6.mlp'); // 'blocks.6.hook_mlp_out'
 */
export function sparsifyHookName(hookpoint: string): string {
  const layer = /^(?:[\w.]+\.)?(?:layers|h)[._](\d+)(?:\.(mlp|self_attn|attn))?$/.exec(hookpoint);
  if (layer) {
    const n = Number(layer[1]);
    if (!layer[2]) return `blocks.${n}.hook_resid_post`;
    return layer[2] === 'mlp' ? `blocks.${n}.hook_mlp_out` : `blocks.${n}.hook_attn_out`;
  }
  if (/^(?:[\w.]+\.)?(?:embed_tokens|wte|embed_in)$/.test(hookpoint)) return 'hook_embed';
  return hookpoint;
}

/** A config from a `mechlens` block, checked against the sizes the file declares. */
function mechlensConfig(block: unknown, dIn: number, dSae: number, where: string): SaeConfig {
  if (!isObject(block)) throw new Error(`${where}: 'mechlens' must be an object holding the SAE config`);
  let cfg: SaeConfig;
  try {
    cfg = saeConfig(block as unknown as SaeConfigInput);
  } catch (e) {
    throw new Error(`${where}: invalid 'mechlens' config: ${(e as Error).message}`);
  }
  if (cfg.dIn !== dIn || cfg.dSae !== dSae) {
    throw new Error(
      `${where}: the 'mechlens' config (dIn ${cfg.dIn}, dSae ${cfg.dSae}) disagrees with the file's ` +
        `sizes (d_in ${dIn}, d_sae ${dSae})`,
    );
  }
  return cfg;
}

function saelensNormalization(f: Fields): InputNormalization {
  const v = f.obj.normalize_activations;
  // SAELens folds the training-time `expected_average_only_in` scale into the weights when it saves,
  // and its inference SAE then treats the setting as the identity; pre-6 configs spell it `true`.
  if (v === undefined || v === null || v === false || v === 'none' || v === 'expected_average_only_in')
    return 'none';
  if (v === true) return 'none';
  if (v === 'layer_norm') return 'layer_norm';
  throw new Error(
    `${f.where}: normalize_activations ${JSON.stringify(v)} is not supported (mechlens runs 'none' and 'layer_norm')`,
  );
}

interface ParsedSaelens {
  cfg: SaeConfig;
  /** SAELens `apply_b_dec_to_input`; when false `b_dec` is folded into the encoder bias on load. */
  applyBDec: boolean;
}

/** Our config from a SAELens `cfg.json` (v6 with `metadata`, or the flat pre-6.0 layout). */
function parseSaelensConfig(raw: JsonObject, path: string): ParsedSaelens {
  const f = new Fields(raw, path);
  const meta = new Fields({ ...raw, ...(isObject(raw.metadata) ? raw.metadata : {}) }, path);
  const dIn = f.int('d_in');
  const dSae = f.int('d_sae');
  if (!dIn || !dSae)
    throw new Error(`${path}: SAELens configs need positive 'd_in' and 'd_sae' (got ${dIn}, ${dSae})`);
  if (raw.mechlens !== undefined)
    return { cfg: mechlensConfig(raw.mechlens, dIn, dSae, path), applyBDec: true };

  const arch = f.str('architecture') ?? 'standard';
  const activation = f.str('activation_fn_str') ?? f.str('activation_fn');
  const kwargs = isObject(raw.activation_fn_kwargs) ? new Fields(raw.activation_fn_kwargs, path) : null;
  let architectureName: 'relu' | 'topk' | 'topafa';
  if (arch === 'standard' && (activation === undefined || activation === 'relu')) architectureName = 'relu';
  else if (arch === 'standard' && activation === 'topk') architectureName = 'topk';
  else if (arch === 'standard')
    throw new Error(
      `${path}: activation function '${activation}' is not supported (mechlens reads 'relu' and 'topk')`,
    );
  else if (arch === 'topk' || arch === 'topafa') architectureName = arch;
  else
    throw new Error(
      `${path}: SAELens architecture '${arch}' is not supported; mechlens reads ${READABLE_SAELENS.map((a) => `'${a}'`).join(', ')} ` +
        `(ReLU, TopK, and its own top-AFA)`,
    );
  let k: number | undefined;
  if (architectureName !== 'relu') {
    k = f.int('k') ?? kwargs?.int('k');
    if (!k) throw new Error(`${path}: a '${arch}' SAE needs 'k' (or activation_fn_kwargs.k)`);
  }
  if (kwargs?.bool('signed')) throw new Error(`${path}: signed TopK is not supported`);
  const reshape = f.str('reshape_activations') ?? 'none';
  if (reshape !== 'none')
    throw new Error(`${path}: reshape_activations '${reshape}' is not supported (only 'none')`);
  if (f.bool('rescale_acts_by_decoder_norm'))
    throw new Error(`${path}: rescale_acts_by_decoder_norm = true is not supported`);
  if (meta.has('hook_head_index') || meta.has('hook_point_head_index'))
    throw new Error(`${path}: SAEs on a single attention head (hook_head_index) are not supported`);
  const exclude = meta.obj.exclude_special_tokens;
  const cfg = saeConfig({
    architecture: architectureName,
    dIn,
    dSae,
    k,
    normalizeActivations: saelensNormalization(f),
    encoderBias: true, // SAELens always adds b_enc
    metadata: {
      modelName: meta.str('model_name') ?? 'unknown',
      hookName: meta.str('hook_name') ?? meta.str('hook_point') ?? 'unknown',
      contextSize: meta.int('context_size') || 128,
      prependBos: meta.bool('prepend_bos') ?? true,
      datasetPath: meta.str('dataset_path') ?? 'unknown',
      excludeSpecialTokens: exclude === true || (Array.isArray(exclude) && exclude.length > 0),
    },
  });
  return { cfg, applyBDec: f.bool('apply_b_dec_to_input') ?? true };
}

function readSaelensFolder(dir: string, raw: JsonObject): { cfg: SaeConfig; host: HostSaeParams } {
  const { cfg, applyBDec } = parseSaelensConfig(raw, join(dir, CFG_FILE));
  const { dIn, dSae } = cfg;
  const file = openSafetensors(join(dir, SAELENS_WEIGHTS));
  try {
    const wEnc = readTensor(file, 'W_enc', [dIn, dSae], 'encoder, [d_in, d_sae]');
    const bEnc = readTensor(file, 'b_enc', [dSae], 'encoder bias, [d_sae]');
    const decoder = readTensor(file, 'W_dec', [dSae, dIn], 'decoder, [d_sae, d_in]');
    const bDec = readTensor(file, 'b_dec', [dIn], 'decoder bias, [d_in]');
    if (file.has('scaling_factor')) {
      const s = file.readF32('scaling_factor').data;
      if (s.some((v) => v !== 1))
        throw new Error(
          `${file.path}: a 'scaling_factor' other than 1 (finetuning scaling) is not supported`,
        );
    }
    const encoder = transposeHost(wEnc, dIn, dSae);
    if (!applyBDec) {
      // SAELens without apply_b_dec_to_input computes z = W_enc x + b_enc; ours subtracts b_dec first,
      // so the same z needs b_enc + W_enc b_dec.
      for (let i = 0; i < dSae; i++) {
        let s = 0;
        for (let j = 0; j < dIn; j++) s += encoder[i * dIn + j] * bDec[j];
        bEnc[i] = bEnc[i] + s;
      }
    }
    return { cfg, host: { encoder, bEnc, decoder, bDec } };
  } finally {
    file.close();
  }
}

/** Optional fields of a sparsify run's root `config.json`. */
function sparsifyRunInfo(dir: string): {
  model?: string;
  dataset?: string;
  ctxLen?: number;
  exclude: boolean;
} {
  const path = join(dirname(resolve(dir)), 'config.json');
  if (!existsSync(path)) return { exclude: false };
  let raw: JsonObject;
  try {
    raw = readJsonObject(path);
  } catch {
    return { exclude: false };
  }
  const pick = <T>(v: unknown, ok: (x: unknown) => boolean): T | undefined => (ok(v) ? (v as T) : undefined);
  return {
    model: pick<string>(raw.model, (x) => typeof x === 'string'),
    dataset: pick<string>(raw.dataset, (x) => typeof x === 'string'),
    ctxLen: pick<number>(raw.ctx_len, (x) => typeof x === 'number' && Number.isInteger(x) && x > 0),
    exclude: Array.isArray(raw.exclude_tokens) && raw.exclude_tokens.length > 0,
  };
}

function readSparsifyFolder(dir: string, raw: JsonObject): { cfg: SaeConfig; host: HostSaeParams } {
  const where = join(dir, CFG_FILE);
  const f = new Fields(raw, where);
  const activation = f.str('activation') ?? 'topk';
  if (activation !== 'topk')
    throw new Error(`${where}: sparsify activation '${activation}' is not supported (only 'topk')`);
  for (const [key, what] of [
    ['transcode', 'transcoders'],
    ['skip_connection', 'skip connections (W_skip)'],
    ['embed_skip', 'embedding skip connections'],
    ['gram_lookup', 'n-gram lookup tables'],
    ['signed', 'signed TopK'],
  ] as const) {
    if (f.bool(key)) throw new Error(`${where}: ${what} are not supported ('${key}' is true)`);
  }
  const file = openSafetensors(join(dir, SPARSIFY_WEIGHTS));
  try {
    let dIn = f.int('d_in');
    if (!dIn) {
      const b = file.entries.get('b_dec') ?? file.entries.get('encoder.weight');
      dIn = b ? b.shape[b.shape.length - 1] : undefined;
      if (!dIn)
        throw new Error(
          `${where}: no 'd_in', and ${file.path} has no 'b_dec' or 'encoder.weight' to infer it`,
        );
    }
    const dSae = f.int('num_latents') || (f.int('expansion_factor') ?? 32) * dIn;
    const k = f.int('k') ?? 32;
    let cfg: SaeConfig;
    if (raw.mechlens !== undefined) cfg = mechlensConfig(raw.mechlens, dIn, dSae, where);
    else {
      const run = sparsifyRunInfo(dir);
      cfg = saeConfig({
        architecture: 'topk',
        dIn,
        dSae,
        k,
        normalizeActivations: 'none',
        encoderBias: true,
        metadata: {
          modelName: run.model ?? 'unknown',
          hookName: sparsifyHookName(basename(resolve(dir))),
          contextSize: run.ctxLen ?? 128,
          prependBos: true,
          datasetPath: run.dataset ?? 'unknown',
          excludeSpecialTokens: run.exclude,
        },
      });
    }
    return {
      cfg,
      host: {
        encoder: readTensor(file, 'encoder.weight', [dSae, dIn], 'encoder, [num_latents, d_in]'),
        bEnc: readTensor(file, 'encoder.bias', [dSae], 'encoder bias, [num_latents]'),
        decoder: readTensor(file, 'W_dec', [dSae, dIn], 'decoder, [num_latents, d_in]'),
        bDec: readTensor(file, 'b_dec', [dIn], 'decoder bias, [d_in]'),
      },
    };
  } finally {
    file.close();
  }
}

function hookpointFolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, CFG_FILE)))
    .map((e) => e.name);
}

/** Reads an SAE folder of any supported layout into a config and host parameters. */
function readSaeFolder(dir: string): { cfg: SaeConfig; host: HostSaeParams } {
  checkFolder(dir, 'loadSae');
  const cfgPath = join(dir, CFG_FILE);
  if (!existsSync(cfgPath)) {
    const subs = hookpointFolders(dir);
    const hint = subs.length
      ? `; it holds SAE folders (${subs.slice(0, 4).join(', ')}${subs.length > 4 ? ', ...' : ''}): ` +
        'load one of them, or the whole sparsify run with loadSparsifySaes'
      : '';
    throw new Error(
      `loadSae: no ${CFG_FILE} in '${dir}' (expected a SAELens folder: ${CFG_FILE} + ${SAELENS_WEIGHTS}, ` +
        `or a sparsify folder: ${CFG_FILE} + ${SPARSIFY_WEIGHTS})${hint}`,
    );
  }
  const raw = readJsonObject(cfgPath);
  const sparsifyCfg = raw.d_sae === undefined && ('num_latents' in raw || 'expansion_factor' in raw);
  const hasSaelens = existsSync(join(dir, SAELENS_WEIGHTS));
  const hasSparsify = existsSync(join(dir, SPARSIFY_WEIGHTS));
  if (sparsifyCfg) {
    if (!hasSparsify)
      throw new Error(
        `loadSae: '${dir}' has a sparsify ${CFG_FILE} but no ${SPARSIFY_WEIGHTS} ` +
          `(expected tensors encoder.weight [num_latents, d_in], encoder.bias, W_dec, b_dec)`,
      );
    return readSparsifyFolder(dir, raw);
  }
  if (hasSaelens) return readSaelensFolder(dir, raw);
  if (hasSparsify) return readSparsifyFolder(dir, raw);
  throw new Error(
    `loadSae: '${dir}' has a SAELens ${CFG_FILE} but no ${SAELENS_WEIGHTS} ` +
      `(expected tensors W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in])`,
  );
}

/**
 * Loads an SAE folder: a SAELens v6 folder (mechlens's own, restored exactly from its `mechlens`
 * config block; or SAELens's `standard` → ReLU and `topk` → TopK), a SAELens folder older than 6.0 (flat
 * `cfg.json`: `hook_point`, `activation_fn_str` `relu`/`topk` with `activation_fn_kwargs.k`, ...), or a
 * sparsify hookpoint folder (`cfg.json` + `sae.safetensors`; TopK with encoder bias, its hook name from
 * the folder name via {@link sparsifyHookName} and model/dataset/context from the run's `config.json`
 * one level up when present). Tensors may be F32, F16, BF16 or F64. SAELens's
 * `apply_b_dec_to_input = false` is folded into the encoder bias; `expected_average_only_in`
 * normalisation reads as `none` (as SAELens runs it). Other architectures (`jumprelu`, `gated`, ...) and
 * settings mechlens cannot run are clear errors, as are a missing file or tensor and a wrong shape.
 *
 * @example
 * const sae = await loadSae('saes/blocks.2.hook_resid_pre');
 * const { recons } = sae.forward(resid);
 * sae.dispose();
 */
export async function loadSae(dir: string): Promise<Sae> {
  const { cfg, host } = readSaeFolder(dir);
  return saeFromHost(cfg, host);
}

/**
 * Each latent's firing frequency from a folder's `sparsity.safetensors` (SAELens stores log10 of the
 * frequency, floored near 1e-10; this returns `10^x`, or `x` itself with `{ log: true }`), or null when
 * the folder has no sparsity file.
 *
 * @example
 * const freq = await loadSparsity('saes/blocks.2.hook_resid_pre'); // Float32Array | null
 * const dead = freq ? freq.filter((f) => f < 1e-6).length : 0;
 */
export async function loadSparsity(
  dir: string,
  opts: LoadSparsityOptions = {},
): Promise<Float32Array | null> {
  checkFolder(dir, 'loadSparsity');
  const path = join(dir, SPARSITY_FILE);
  if (!existsSync(path)) return null;
  const file = openSafetensors(path);
  try {
    const entry = file.entries.get('sparsity');
    if (!entry)
      throw new Error(
        `${path}: missing tensor 'sparsity' (log10 firing frequency per latent); the file holds ` +
          `${[...file.entries.keys()].map((n) => `'${n}'`).join(', ') || 'no tensors'}`,
      );
    const { data } = file.readF32('sparsity');
    if (opts.log) return data;
    return data.map((v) => 10 ** v);
  } finally {
    file.close();
  }
}
