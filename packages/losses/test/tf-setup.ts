// Test-only tensor setup: the plain `cpu` backend, plus every op's gradient. tfjs-core's CommonJS
// entry registers no gradients; the `@tensorflow/tfjs` bundle does (it shares the one installed
// tfjs-core). Apps get both from `@apogee/runtime`'s `initBackend()`.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
  // The cpu backend's one-time "install tfjs-node" notice is noise in test logs.
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}
