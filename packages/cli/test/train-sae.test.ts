import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(root, 'packages/cli/src/bin.ts');
const dir = mkdtempSync(join(tmpdir(), 'mechlens-train-sae-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const args = (out: string, extra: string[] = [], tokens = '40k') => [
  '--conditions=mechlens-source',
  '--import',
  'tsx',
  bin,
  'train-sae',
  '--tokens',
  tokens,
  '--batch',
  '1024',
  '--latents',
  '512',
  '--checkpoint-every',
  '1',
  '--eval-contexts',
  '0',
  '--progress',
  'off',
  '--out',
  out,
  ...extra,
];

/** The deterministic fields of a training log. */
const logOf = (out: string) =>
  readFileSync(join(`${out}.ckpt`, 'training_log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { tokensPerSecond: _t, ...rest } = JSON.parse(l);
      return rest;
    });

describe('mechlens train-sae (subprocess)', () => {
  it('a run killed with SIGKILL and resumed reaches the same metrics at the same steps', async () => {
    const full = join(dir, 'full');
    const r = spawnSync(process.execPath, args(full), { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/saved the SAE \(SAELens format\) to/);
    expect(existsSync(join(full, 'cfg.json'))).toBe(true);

    const killed = join(dir, 'killed');
    const child = spawn(process.execPath, args(killed), { cwd: root, stdio: 'ignore' });
    const state = join(`${killed}.ckpt`, 'latest', 'state.json');
    await new Promise<void>((done, fail) => {
      const timer = setInterval(() => {
        try {
          if (existsSync(state) && JSON.parse(readFileSync(state, 'utf8')).step >= 12) {
            clearInterval(timer);
            child.kill('SIGKILL');
            done();
          }
        } catch {
          // the checkpoint is being swapped in; look again
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        fail(new Error('the training run ended before it could be killed'));
      });
    });
    await new Promise((done) => child.on('exit', done));
    expect(existsSync(join(killed, 'cfg.json'))).toBe(false); // no SAE folder from the killed run
    const resumed = spawnSync(process.execPath, args(killed, ['--resume']), { cwd: root, encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(logOf(killed)).toEqual(logOf(full));
    expect(
      readFileSync(join(killed, 'sae_weights.safetensors')).equals(
        readFileSync(join(full, 'sae_weights.safetensors')),
      ),
    ).toBe(true);
  });

  it('--hook a,b trains one SAE per hook from one forward pass, saved to <out>/<hook>', () => {
    const out = join(dir, 'multi');
    const r = spawnSync(
      process.execPath,
      args(out, ['--hook', 'blocks.1.hook_resid_post,blocks.2.hook_mlp_out'], '8k'),
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    for (const h of ['blocks.1.hook_resid_post', 'blocks.2.hook_mlp_out']) {
      const cfg = JSON.parse(readFileSync(join(out, h, 'cfg.json'), 'utf8'));
      expect(cfg.metadata.hook_name).toBe(h);
    }
    // running again over the same folders replaces the SAEs (their metrics and logs included)
    const again = spawnSync(
      process.execPath,
      args(out, ['--hook', 'blocks.1.hook_resid_post,blocks.2.hook_mlp_out'], '8k'),
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(again.status, again.stderr).toBe(0);
  });

  it('bad options fail fast with exit status 2 and a one-line reason', () => {
    const r = spawnSync(process.execPath, args(join(dir, 'bad'), ['--architecture', 'jumprelu']), {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/jumprelu/);
  });
});
