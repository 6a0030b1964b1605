import { loadModel, tf } from '@mechlens/core';
import { evalSets } from '@mechlens/demo';

const m = await loadModel('/tmp/mid');
const items = evalSets({ sizes: { induction: 20 } }).induction;
const L = m.config.nLayers,
  H = m.config.nHeads;
const prev = Array.from({ length: L }, () => new Array(H).fill(0));
const ind = Array.from({ length: L }, () => new Array(H).fill(0));
let np = 0,
  ni = 0;
for (const it of items) {
  const ids = m.toTokens(it.text);
  const { logits, cache } = m.runWithCache(ids, { names: (n: string) => n.endsWith('hook_pattern') });
  for (let l = 0; l < L; l++) {
    const p = cache.get(`blocks.${l}.attn.hook_pattern`).arraySync() as number[][][][];
    for (let h = 0; h < H; h++) {
      for (let q = 2; q < ids[0].length; q++) prev[l][h] += p[0][h][q][q - 1];
      for (let j = 0; j < it.spanLength - 1; j++) {
        const q = it.repeatStart + j + 1;
        const k = it.firstStart + j + 2;
        ind[l][h] += p[0][h][q][k];
      }
    }
  }
  np += ids[0].length - 2;
  ni += it.spanLength - 1;
  logits.dispose();
  cache.dispose();
}
for (let l = 0; l < L; l++)
  console.log(
    `L${l} prev`,
    prev[l].map((x) => (x / np).toFixed(2)).join(' '),
    ' induction',
    ind[l].map((x) => (x / ni).toFixed(2)).join(' '),
  );
