/**
 * The one tfjs namespace every mechlens package and user script shares.
 *
 * tfjs-core's Node entry (a CommonJS bundle) registers neither gradients nor chained ops
 * (`tensor.square()`), and its ESM `dist/` files cannot be loaded by plain Node (extensionless imports).
 * The `@tensorflow/tfjs` Node bundle registers both on the same tfjs-core instance, so importing it once
 * here makes `tf.grad` and chained ops work in vitest, tsx, plain Node and tslab alike. The cpu backend
 * is always available.
 */
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

export { tf };
