import { tf } from '@mechlens/core';
import { GPT2_SMALL, makeGpt2 } from './gpt2.js';

const { model, ids } = await makeGpt2(GPT2_SMALL);
const run = () =>
  tf.tidy(() => {
    model.forward(ids).dataSync();
  });
for (let i = 0; i < 3; i++) run();
const ts: number[] = [];
for (let i = 0; i < 9; i++) {
  const t = performance.now();
  run();
  ts.push(performance.now() - t);
}
ts.sort((a, b) => a - b);
console.log('forward median ms', ts[4].toFixed(0), 'min', ts[0].toFixed(0));
process.exit(0);
