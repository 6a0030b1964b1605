/**
 * The one tfjs namespace every mechlens package and user script shares. tfjs-core's Node entry
 * registers no gradients, so they are registered here; the cpu backend is always available.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

export { tf };
