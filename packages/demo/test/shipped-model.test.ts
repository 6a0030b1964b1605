/** The committed demo checkpoint: loads offline and meets its targets on a quick held-out subset. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, tf } from '@mechlens/core';
import { describe, expect, it } from 'vitest';
import { DEMO_MODEL_DIR, DEMO_TARGETS, evaluateDemoModel } from '../src/index.js';

describe('models/mechlens-demo', () => {
  it('is a complete Hugging Face gpt2 folder, small enough to commit', () => {
    for (const f of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'generation_config.json',
      'README.md',
    ]) {
      expect(existsSync(join(DEMO_MODEL_DIR, f)), f).toBe(true);
    }
    expect(statSync(join(DEMO_MODEL_DIR, 'model.safetensors')).size).toBeLessThan(20 * 2 ** 20);
    const cfg = JSON.parse(readFileSync(join(DEMO_MODEL_DIR, 'config.json'), 'utf8'));
    expect(cfg.model_type).toBe('gpt2');
  });

  it('meets every target (IOI, induction, facts, refusal, sentiment) on a quick subset, with the card’s circuit', async () => {
    const model = await loadModel(DEMO_MODEL_DIR);
    const before = tf.memory().numTensors;
    const r = await evaluateDemoModel(model, {
      sizes: {
        ioi: 100,
        induction: 30,
        factPhrasings: 1,
        sentiment: 30,
        refusal: 40,
        ab: 20,
        style: 1,
        topics: 1,
      },
      lossContexts: 8,
    });
    expect(r.ioi.accuracy).toBeGreaterThanOrEqual(DEMO_TARGETS.ioi);
    expect(r.induction.accuracy).toBeGreaterThanOrEqual(DEMO_TARGETS.induction);
    // the induction circuit: a previous-token head in an earlier layer than the induction head
    expect(r.heads.top.previousToken.previousToken).toBeGreaterThan(0.5);
    expect(r.heads.top.induction.induction).toBeGreaterThan(0.5);
    expect(r.heads.top.previousToken.layer).toBeLessThan(r.heads.top.induction.layer);
    expect(r.facts.accuracy).toBeGreaterThanOrEqual(DEMO_TARGETS.facts);
    expect(r.refusal.harmfulRefused).toBeGreaterThanOrEqual(DEMO_TARGETS.harmfulRefusal);
    expect(r.refusal.benignRefused).toBeLessThanOrEqual(DEMO_TARGETS.benignRefusal);
    expect(r.sentiment.accuracy).toBeGreaterThanOrEqual(DEMO_TARGETS.sentiment);
    expect(r.heldOutLoss.nats).toBeLessThan(2);
    model.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });
});
