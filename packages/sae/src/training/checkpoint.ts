/**
 * Atomic training checkpoints: a folder `latest/` holding `state.safetensors` (SAE parameters and Adam
 * moments) and `state.json` (step, optimiser step count, data position, dead-latent counters, config).
 * A new checkpoint is written to a temporary sibling folder and swapped in by renames, so a crash at any
 * moment leaves either the old or the new checkpoint complete.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors, type TensorToWrite, tf, writeSafetensors } from '@mechlens/core';

/** The JSON half of a checkpoint. */
export interface CheckpointState {
  /** Optimizer steps completed. */
  step: number;
  /** Rows (tokens) trained on. */
  tokens: number;
  adamT: number;
  store: { group: number; batch: number };
  deadSince: number[];
  everFired: number[];
  /** Everything that must match on resume (config and options), as JSON. */
  fingerprint: string;
  /** Wall-clock seconds spent so far. */
  seconds: number;
}

const LATEST = 'latest';
const NEXT = 'latest.new';

/**
 * Writes a checkpoint into `dir` atomically.
 *
 * @example
 * await writeCheckpoint('out.ckpt', { 'sae.encoder': enc, ... }, state);
 */
export async function writeCheckpoint(
  dir: string,
  tensors: Record<string, tf.Tensor>,
  state: CheckpointState,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `tmp-${process.pid}-${state.step}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const list: Record<string, TensorToWrite> = {};
  for (const [name, t] of Object.entries(tensors))
    list[name] = { dtype: 'F32', shape: t.shape.slice(), data: (await t.data()) as Float32Array };
  writeSafetensors(join(tmp, 'state.safetensors'), list);
  writeFileSync(join(tmp, 'state.json'), JSON.stringify(state));
  const latest = join(dir, LATEST);
  const next = join(dir, NEXT);
  rmSync(next, { recursive: true, force: true });
  renameSync(tmp, next);
  rmSync(latest, { recursive: true, force: true });
  renameSync(next, latest);
}

/**
 * Reads the checkpoint in `dir` (null when there is none).
 *
 * @example
 * const ck = await readCheckpoint('out.ckpt');
 */
export async function readCheckpoint(
  dir: string,
): Promise<{ tensors: Record<string, tf.Tensor>; state: CheckpointState; path: string } | null> {
  let path = join(dir, LATEST);
  if (!existsSync(join(path, 'state.json'))) path = join(dir, NEXT); // a crash between the two renames
  if (!existsSync(join(path, 'state.json')) || !existsSync(join(path, 'state.safetensors'))) return null;
  const state = JSON.parse(readFileSync(join(path, 'state.json'), 'utf8')) as CheckpointState;
  const file = openSafetensors(join(path, 'state.safetensors'));
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const name of file.entries.keys()) {
      const { shape, data } = file.readF32(name);
      tensors[name] = tf.tensor(data, shape, 'float32');
    }
  } finally {
    file.close();
  }
  return { tensors, state, path };
}
