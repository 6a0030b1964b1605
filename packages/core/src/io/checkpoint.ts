/**
 * A Hugging Face checkpoint folder (`config.json` + `model.safetensors` or a sharded
 * `model.safetensors.index.json`, optional `tokenizer.json` / `generation_config.json`), and
 * {@link resolveSource}, which turns a folder or a hub id into such a folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { closeMatches } from './closeMatches.js';
import { CheckpointError } from './errors.js';
import type { HubOptions } from './hub.js';
import { openSafetensors, type SafetensorsDtype, type SafetensorsFile } from './safetensors.js';
import { downloadSnapshot, pickleMessage } from './snapshot.js';

/**
 * An open checkpoint: parsed config, tensor index over one or more safetensors files.
 *
 * @example
 * const ckpt: Checkpoint = openCheckpoint('./gpt2');
 * if (ckpt.has('lm_head.weight')) ckpt.read('lm_head.weight');
 */
export interface Checkpoint {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** `config.json`, parsed. */
  readonly config: Record<string, unknown>;
  /** Every tensor name (file/index order). */
  readonly tensorNames: string[];
  /** Whether a tensor of this name exists. */
  has(name: string): boolean;
  /** dtype, shape and file of a tensor, without reading it. */
  info(name: string): { dtype: SafetensorsDtype; shape: number[]; file: string };
  /** Reads a float tensor as float32 (F16/BF16/F64 converted). With `expectShape`, another shape is an error. */
  read(name: string, expectShape?: readonly number[]): { shape: number[]; data: Float32Array };
  /** Reads an integer tensor as int32. */
  readI32(name: string, expectShape?: readonly number[]): { shape: number[]; data: Int32Array };
  /** Path of `tokenizer.json`, or null when the folder has none. */
  tokenizerPath: string | null;
  /** `generation_config.json`, parsed, or null. */
  generationConfig: Record<string, unknown> | null;
  /** Closes every weight file. */
  close(): void;
}

function readJsonObject(
  path: string,
  what: string,
  code: 'BAD_CONFIG' | 'BAD_INDEX',
): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CheckpointError(code, `${path}: cannot parse ${what} (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new CheckpointError(code, `${path}: ${what} is not a JSON object`);
  }
  return v as Record<string, unknown>;
}

const PICKLE = /^(pytorch_model.*\.bin(\.index\.json)?|.*\.(pt|pth|ckpt|bin))$/;
const OTHER_FORMATS = /^(tf_model\.h5|flax_model\.msgpack|.*\.gguf|.*\.onnx)$/;

function noWeightsError(dir: string, files: string[]): CheckpointError {
  const pickle = files.find((f) => PICKLE.test(f));
  if (pickle) return new CheckpointError('PICKLE_REFUSED', pickleMessage(`folder ${dir}`, pickle, dir, dir));
  const others = files.filter((f) => OTHER_FORMATS.test(f) || f.endsWith('.safetensors'));
  const found =
    others.length > 0
      ? ` (found ${others.join(', ')}; only model.safetensors or a sharded index is read)`
      : '';
  return new CheckpointError(
    'NO_WEIGHTS',
    `no weights in ${dir}: expected model.safetensors or model.safetensors.index.json${found}`,
  );
}

/**
 * Opens a checkpoint folder: parses `config.json`, opens the safetensors weights (headers only; one
 * file or every shard of `model.safetensors.index.json`) and checks the index against the shards.
 * A pickle-only folder (`pytorch_model.bin`) is refused with the command to convert it.
 *
 * @example
 * const ckpt = openCheckpoint('test/fixtures/gpt2');
 * const wte = ckpt.read('transformer.wte.weight', [211, 64]);
 * ckpt.close();
 */
export function openCheckpoint(dir: string): Checkpoint {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new CheckpointError('NOT_FOUND', `checkpoint folder ${abs} does not exist`);
  if (!statSync(abs).isDirectory()) {
    throw new CheckpointError(
      'NOT_FOUND',
      `${abs} is a file; pass the folder that holds config.json and the weights`,
    );
  }
  const files = readdirSync(abs);
  if (!files.includes('config.json')) {
    const what = files.length > 0 ? `found only: ${files.slice(0, 12).join(', ')}` : 'the folder is empty';
    throw new CheckpointError(
      'MISSING_CONFIG',
      `no config.json in ${abs} (${what}); a checkpoint folder needs the model's config.json next to its weights`,
    );
  }
  const config = readJsonObject(join(abs, 'config.json'), 'config.json', 'BAD_CONFIG');
  const shards = new Map<string, SafetensorsFile>();
  const owner = new Map<string, SafetensorsFile>();
  try {
    if (files.includes('model.safetensors')) {
      const f = openSafetensors(join(abs, 'model.safetensors'));
      shards.set('model.safetensors', f);
      for (const name of f.entries.keys()) owner.set(name, f);
    } else if (files.includes('model.safetensors.index.json')) {
      openShards(abs, shards, owner);
    } else {
      throw noWeightsError(abs, files);
    }
  } catch (e) {
    for (const f of shards.values()) f.close();
    throw e;
  }
  let generationConfig: Record<string, unknown> | null = null;
  if (files.includes('generation_config.json')) {
    generationConfig = readJsonObject(
      join(abs, 'generation_config.json'),
      'generation_config.json',
      'BAD_CONFIG',
    );
  }
  return new FolderCheckpoint(
    abs,
    config,
    owner,
    shards,
    files.includes('tokenizer.json') ? join(abs, 'tokenizer.json') : null,
    generationConfig,
  );
}

function openShards(
  dir: string,
  shards: Map<string, SafetensorsFile>,
  owner: Map<string, SafetensorsFile>,
): void {
  const indexPath = join(dir, 'model.safetensors.index.json');
  const index = readJsonObject(indexPath, 'the shard index', 'BAD_INDEX');
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new CheckpointError('BAD_INDEX', `${indexPath}: no "weight_map" object`);
  }
  const entries = Object.entries(map as Record<string, unknown>);
  for (const [name, file] of entries) {
    const inside = typeof file === 'string' ? relative(dir, resolve(dir, file)) : '';
    if (typeof file !== 'string' || inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new CheckpointError(
        'BAD_INDEX',
        `${indexPath}: tensor '${name}' maps to ${JSON.stringify(file)}, not a file in ${dir}`,
      );
    }
  }
  const wanted = [...new Set(entries.map(([, f]) => f as string))];
  const missing = wanted.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new CheckpointError(
      'MISSING_SHARD',
      `${indexPath} names shard file(s) missing from ${dir}: ${missing.join(', ')} (incomplete download?)`,
    );
  }
  for (const f of wanted) shards.set(f, openSafetensors(join(dir, f)));
  const absent: string[] = [];
  for (const [name, file] of entries) {
    const shard = shards.get(file as string)!;
    if (shard.has(name)) owner.set(name, shard);
    else absent.push(`${name} (in ${file})`);
  }
  if (absent.length > 0) {
    const more = absent.length > 5 ? ` and ${absent.length - 5} more` : '';
    throw new CheckpointError(
      'BAD_INDEX',
      `${indexPath} lists tensors that its shards do not contain: ${absent.slice(0, 5).join(', ')}${more}`,
    );
  }
}

class FolderCheckpoint implements Checkpoint {
  readonly tensorNames: string[];

  constructor(
    readonly dir: string,
    readonly config: Record<string, unknown>,
    private readonly owner: Map<string, SafetensorsFile>,
    private readonly shards: Map<string, SafetensorsFile>,
    public tokenizerPath: string | null,
    public generationConfig: Record<string, unknown> | null,
  ) {
    this.tensorNames = [...owner.keys()];
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  private file(name: string, expectShape?: readonly number[]): SafetensorsFile {
    const f = this.owner.get(name);
    if (!f) {
      const near = closeMatches(name, this.tensorNames);
      const hint =
        near.length > 0
          ? `; close matches: ${near.join(', ')}`
          : `; it has e.g. ${this.tensorNames.slice(0, 3).join(', ')}${this.tensorNames.length > 3 ? ', …' : ''}`;
      throw new CheckpointError(
        'MISSING_TENSOR',
        `tensor '${name}' not found in checkpoint ${this.dir} (${this.tensorNames.length} tensors)${hint}`,
      );
    }
    const shape = f.entries.get(name)!.shape;
    if (expectShape && (expectShape.length !== shape.length || expectShape.some((d, i) => d !== shape[i]))) {
      throw new CheckpointError(
        'WRONG_SHAPE',
        `tensor '${name}' in checkpoint ${this.dir} has shape [${shape.join(', ')}], expected ` +
          `[${expectShape.join(', ')}] from config.json (do config.json and the weights belong together?)`,
      );
    }
    return f;
  }

  info(name: string): { dtype: SafetensorsDtype; shape: number[]; file: string } {
    const f = this.file(name);
    const e = f.entries.get(name)!;
    return { dtype: e.dtype, shape: [...e.shape], file: f.path };
  }

  read(name: string, expectShape?: readonly number[]): { shape: number[]; data: Float32Array } {
    return this.file(name, expectShape).readF32(name);
  }

  readI32(name: string, expectShape?: readonly number[]): { shape: number[]; data: Int32Array } {
    return this.file(name, expectShape).readI32(name);
  }

  close(): void {
    for (const f of this.shards.values()) f.close();
  }
}

function looksLikePath(source: string): boolean {
  return (
    source.startsWith('.') ||
    source.startsWith('/') ||
    source.startsWith('~') ||
    source.includes('\\') ||
    /^[A-Za-z]:/.test(source) ||
    source.split('/').length > 2
  );
}

/**
 * Turns a model source into a local checkpoint folder: an existing folder is returned as is
 * (absolute); otherwise `source` is a hub id (`gpt2`, `EleutherAI/pythia-70m`) whose config,
 * weights and tokenizer files are downloaded into the HF cache (see {@link downloadSnapshot}).
 *
 * @example
 * const dir = await resolveSource('EleutherAI/pythia-70m', { revision: 'main' });
 * const ckpt = openCheckpoint(dir);
 */
export async function resolveSource(source: string, opts: HubOptions = {}): Promise<string> {
  const expanded = source === '~' || source.startsWith('~/') ? join(homedir(), source.slice(1)) : source;
  if (existsSync(expanded)) {
    if (!statSync(expanded).isDirectory()) {
      throw new CheckpointError(
        'NOT_FOUND',
        `${resolve(expanded)} is a file; pass the folder that holds config.json and the weights`,
      );
    }
    return resolve(expanded);
  }
  if (looksLikePath(source))
    throw new CheckpointError('NOT_FOUND', `folder ${resolve(expanded)} does not exist`);
  return downloadSnapshot(source, opts);
}

/**
 * {@link resolveSource} then {@link openCheckpoint}.
 *
 * @example
 * const ckpt = await loadCheckpoint('gpt2');
 * console.log(ckpt.config.n_layer, ckpt.tensorNames.length);
 */
export async function loadCheckpoint(source: string, opts: HubOptions = {}): Promise<Checkpoint> {
  return openCheckpoint(await resolveSource(source, opts));
}
