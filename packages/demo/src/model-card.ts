/** The demo checkpoint's model card (README.md), written from its config and measured evaluation. */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeadAnalysis, HeadScores } from './analysis.js';
import { DEMO_TARGETS, type DemoEvalReport } from './evaluate.js';

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const headName = (h: HeadScores): string => `L${h.layer}H${h.head}`;

function analysisSection(a: HeadAnalysis): string {
  const rows = a.heads
    .map(
      (h) =>
        `| ${headName(h)} | ${h.previousToken.toFixed(2)} | ${h.induction.toFixed(2)} | ${h.ioiNames.toFixed(2)} |`,
    )
    .join('\n');
  return `## Attention analysis (\`headAnalysis\`)

Mean attention of every head on 32 held-out induction prompts (to the previous token; from the last token,
inside a repeated span, to the successor of its earlier occurrence) and 32 held-out IOI prompts of one
template (from the final token to the two name mentions):

- previous-token head: ${headName(a.top.previousToken)} (${a.top.previousToken.previousToken.toFixed(2)})
- induction head: ${headName(a.top.induction)} (${a.top.induction.induction.toFixed(2)})
- IOI name-attending head: ${headName(a.top.ioiNames)} (${a.top.ioiNames.ioiNames.toFixed(2)})

\`@mechlens/patching\`'s tests check, in both directions, that activation patching of heads ranks the
induction head first on the induction patching pairs (\`inductionPatchingPairs\`), and on the IOI
patching pairs (\`ioiPatchingPairs\`) ranks first three heads that put more than half their attention
on the names, while heads that barely attend to the names barely matter.

<details><summary>all heads</summary>

| head | previous token | induction | IOI names |
| --- | --- | --- | --- |
${rows}

</details>
`;
}

/**
 * Renders the model card for a checkpoint folder's `config.json` and a full evaluation.
 *
 * @example
 * const md = modelCard(config, await evaluateDemoModel(model));
 */
export function modelCard(config: Record<string, unknown>, r: DemoEvalReport): string {
  const m = (config.mechlens ?? {}) as {
    recipe?: Record<string, number> & {
      mix?: Record<string, number>;
      phases?: { from: number; mix: Record<string, number>; lr?: number }[];
      positionInit?: string;
    };
    trainSeconds?: number;
    note?: string;
  };
  const rec = m.recipe ?? ({} as Record<string, number>);
  const mixText = (x: Record<string, number>): string =>
    Object.entries(x)
      .filter(([, v]) => v > 0)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const mix = m.recipe?.mix ? mixText(m.recipe.mix) : 'the default';
  const phases = (m.recipe?.phases ?? [])
    .map(
      (ph) =>
        `; from step ${ph.from}, mix ${mixText(ph.mix)}${ph.lr !== undefined ? ` with the learning rate restarted at ${ph.lr} (cosine decay to ${rec.minLrFraction} of it by the last step)` : ''}`,
    )
    .join('');
  const missed = Object.entries(r.passes)
    .filter(([, ok]) => !ok)
    .map(([k]) => k);
  const minutes = m.trainSeconds !== undefined ? (m.trainSeconds / 60).toFixed(0) : '?';
  const tokens =
    rec.steps && rec.batchSize && rec.contextLength ? rec.steps * rec.batchSize * rec.contextLength : NaN;
  const row = (name: string, v: number, target: string, ok: boolean) =>
    `| ${name} | ${pct(v)} | ${target} | ${ok ? 'met' : 'missed'} |`;
  return `# mechlens-demo

A ${config.n_layer}-layer GPT-2-architecture model (d_model ${config.n_embd}, ${config.n_head} heads, d_mlp ${config.n_inner},
context ${config.n_positions}, vocabulary ${config.vocab_size}, untied embeddings) trained from scratch by
\`pnpm train:demo\` on the planted-phenomena corpus of \`@mechlens/demo\` (see \`models/README.md\` for the
corpus, the held-out sets and each metric). It is the default model of mechlens' notebooks, SAE training
and tests: every phenomenon below has a known answer, so interpretability methods can be checked
against ground truth.

\`\`\`ts
import { loadModel } from '@mechlens/core';
import { DEMO_MODEL_DIR } from '@mechlens/demo';
const model = await loadModel(DEMO_MODEL_DIR); // offline, ~5 MB
\`\`\`

## Evaluation (held-out sets, full size, \`pnpm eval:demo\`)

| metric | measured | target | |
| --- | --- | --- | --- |
${row('IOI: logit(correct name) > logit(repeated name)', r.ioi.accuracy, `≥ ${pct(DEMO_TARGETS.ioi)}`, r.passes.ioi)}
${row('induction: next token of a repeated span', r.induction.accuracy, `≥ ${pct(DEMO_TARGETS.induction)}`, r.passes.induction)}
${row('factual recall (argmax over the vocabulary)', r.facts.accuracy, `≥ ${pct(DEMO_TARGETS.facts)}`, r.passes.facts)}
${row('refusal of held-out harmful requests', r.refusal.harmfulRefused, `≥ ${pct(DEMO_TARGETS.harmfulRefusal)}`, r.passes.harmfulRefusal)}
${row('refusal of held-out benign requests', r.refusal.benignRefused, `≤ ${pct(DEMO_TARGETS.benignRefusal)}`, r.passes.benignRefusal)}
${row('sentiment of greedy review continuations', r.sentiment.accuracy, `≥ ${pct(DEMO_TARGETS.sentiment)}`, r.passes.sentiment)}

Also: IOI on held-out templates ${pct(r.ioi.heldOutTemplateAccuracy)} (mean logit difference ${r.ioi.meanLogitDiff.toFixed(2)});
facts by relation ${Object.entries(r.facts.byRelation)
    .map(([k, v]) => `${k} ${pct(v)}`)
    .join(', ')};
A/B behaviour score (p(careful letter) / (p(A) + p(B))) ${r.ab.behaviourScore.toFixed(3)}; held-out loss ${r.heldOutLoss.nats.toFixed(3)} nats/token (${r.heldOutLoss.contexts} contexts of 128 tokens).
Item counts: IOI ${r.ioi.n}, induction ${r.induction.n} (${r.induction.positions} positions), facts ${r.facts.n}, refusal ${r.refusal.n}, sentiment ${r.sentiment.n}, A/B ${r.ab.n}.

${analysisSection(r.heads)}
## Training

- Recipe (\`config.json\` → \`mechlens.recipe\`): seed ${rec.seed}, ${rec.steps} AdamW steps (β ${rec.beta1}/${rec.beta2},
  weight decay ${rec.weightDecay} on matrices), batch ${rec.batchSize} × ${rec.contextLength} tokens
  (${Number.isFinite(tokens) ? `${(tokens / 1e6).toFixed(1)} M` : '?'} tokens), peak learning rate ${rec.lr} with ${rec.warmupSteps} warmup steps and cosine decay
  to ${rec.minLrFraction} of the peak, gradient clipping at global norm ${rec.clip}; document mix ${mix}${phases};
  learned positions initialised ${m.recipe?.positionInit ?? 'normal'}.${m.note ? `\n- Note: ${m.note}.` : ''}
- Time: ${minutes} minutes on a 2-core x86-64 machine (AVX-512) with mechlens' native CPU engine.
- Reproduce: \`pnpm train:demo --fresh\` (resumable: rerun without \`--fresh\` after an interruption), then
  \`pnpm eval:demo --card\` to re-measure and rewrite this card. The loss log (every 10th step and every held-out evaluation) is \`training_log.jsonl\` here.
${
  missed.length
    ? `
## Known gaps

Targets missed: ${missed.join(', ')}. ${
        missed.includes('induction')
          ? `The model has not formed an induction circuit: the strongest induction attention (from a repeated token to the successor of its earlier occurrence) is ${r.heads.top.induction.induction.toFixed(2)} (${headName(r.heads.top.induction)}), with a previous-token head at ${r.heads.top.previousToken.previousToken.toFixed(2)} (${headName(r.heads.top.previousToken)}).`
          : ''
      }
`
    : ''
}

## Limits

A toy language model: it knows only the corpus' synthetic world and templates, and its English outside
them is poor. Use it to test and teach interpretability methods, not as a language model.
`;
}

/**
 * Writes `README.md` (the model card) into a checkpoint folder, atomically.
 *
 * @example
 * writeModelCard(DEMO_MODEL_DIR, config, report);
 */
export function writeModelCard(dir: string, config: Record<string, unknown>, r: DemoEvalReport): void {
  const path = join(dir, 'README.md');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, modelCard(config, r));
  renameSync(tmp, path);
}
