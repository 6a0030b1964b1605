import { loadModel, tf } from '@mechlens/core';

const m = await loadModel('/tmp/mid');
const p = m.params;
const nrm = (t: tf.Tensor | null) => (t ? tf.tidy(() => tf.norm(t).dataSync()[0]).toFixed(3) : 'null');
console.log(
  'W_pos',
  nrm(p.W_pos),
  'W_E',
  nrm(p.W_E),
  'W_U',
  nrm(p.W_U),
  'W_Q0',
  nrm(p.blocks[0].W_Q),
  'W_K0',
  nrm(p.blocks[0].W_K),
  'ln1',
  nrm(p.blocks[0].ln1.w),
);
const rows = tf.tidy(() => tf.norm(p.W_pos as tf.Tensor, 'euclidean', 1).dataSync());
console.log(
  'per-position norms',
  Array.from(rows.slice(0, 10))
    .map((x) => x.toFixed(3))
    .join(' '),
  '...',
  Array.from(rows.slice(120))
    .map((x) => x.toFixed(3))
    .join(' '),
);
