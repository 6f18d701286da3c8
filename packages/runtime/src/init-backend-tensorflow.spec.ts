// Selection of the native `tensorflow` backend, with fixtures standing in for tfjs-node (which
// cannot be installed on machines without access to Google's download host). Its own file: the
// fixture registers a "tensorflow" backend for the rest of the process.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { silentLogger } from '@apogee/core';
import { initBackend } from './init-backend';

const fixture = (name: string) => path.join(__dirname, 'testing', 'fixtures', name);

it('tries each tensorflow package in order and says why each failed', async () => {
  const info = await initBackend({
    tensorflowPackages: ['@apogee/no-such-tfjs-node-gpu', fixture('broken-tensorflow.cjs'), fixture('no-backend.cjs'), fixture('fake-tensorflow.cjs')],
    logger: silentLogger,
  });
  expect(info.name).toBe('tensorflow');
  expect(tf.getBackend()).toBe('tensorflow');
  expect(info.tensorflowPackage).toBe(fixture('fake-tensorflow.cjs'));
  expect(info.reasons).toEqual([
    '@apogee/no-such-tfjs-node-gpu not installed',
    `${fixture('broken-tensorflow.cjs')} is installed but failed to load: libtensorflow.so.2: cannot open shared object file`,
    `${fixture('no-backend.cjs')} loaded but registered no "tensorflow" backend with this copy of @tensorflow/tfjs-core (versions differ?)`,
  ]);
  expect(info.blas).toBeNull();
});

it('an explicit apogee-cpu request skips tensorflow even when it is available', async () => {
  const info = await initBackend({ backend: 'apogee-cpu', tensorflowPackages: [fixture('fake-tensorflow.cjs')], logger: silentLogger });
  expect(info.name).toBe('apogee-cpu');
  expect(tf.getBackend()).toBe('apogee-cpu');
});

it('an explicit tensorflow request uses it', async () => {
  const info = await initBackend({ backend: 'tensorflow', tensorflowPackages: [fixture('fake-tensorflow.cjs')], logger: silentLogger });
  expect(info.name).toBe('tensorflow');
});
