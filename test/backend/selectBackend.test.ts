import * as tf from '@tensorflow/tfjs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BackendPlugin } from '../../src/backend/backendPlugin.ts';
import { BUILTIN_BACKENDS, createBackendRegistry } from '../../src/backend/backendRegistry.ts';
import { selectBackend } from '../../src/backend/selectBackend.ts';
import { BackendDuplicateError, BackendUnavailableError } from '../../src/errors.ts';

const silent = pino({ level: 'silent' });

/** A plug-in whose package is not installed, loaded the way the real ones are. */
function missing(name: BackendPlugin['name'], pkg: string): BackendPlugin {
  return { name, tfName: 'tensorflow', packageName: pkg, load: async () => void (await import(pkg)) };
}

const builtin = (name: string): BackendPlugin => {
  const p = BUILTIN_BACKENDS.find((b) => b.name === name);
  if (p === undefined) throw new Error(name);
  return p;
};

describe('selectBackend', () => {
  it('falls back past backends whose packages are missing, and says why', async () => {
    const registry = createBackendRegistry([
      missing('tensorflow-gpu', '@tensorflow/not-installed-gpu'),
      missing('tensorflow', '@tensorflow/not-installed'),
      builtin('wasm'),
      builtin('cpu'),
    ]);
    const sel = await selectBackend('auto', registry, silent);
    expect(sel.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(sel.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(sel.skipped[0].reason).toContain('@tensorflow/not-installed-gpu is not installed');
  });

  it('falls back to cpu when the wasm backend fails to start', async () => {
    const broken: BackendPlugin = { name: 'wasm', tfName: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm', load: async () => { throw new Error('no wasm here'); } };
    const sel = await selectBackend('auto', createBackendRegistry([broken, builtin('cpu')]), silent);
    expect(sel.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(sel.skipped[0].reason).toContain('no wasm here');
  });

  it('uses the configured backend even when a better one is available', async () => {
    const sel = await selectBackend('cpu', createBackendRegistry(), silent);
    expect(sel.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('refuses to fall back silently when the configured backend is unavailable', async () => {
    const registry = createBackendRegistry([missing('tensorflow-gpu', '@tensorflow/not-installed-gpu'), builtin('cpu')]);
    await expect(selectBackend('tensorflow-gpu', registry, silent)).rejects.toThrow(BackendUnavailableError);
  });

  it('logs the choice and every skipped backend', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    await selectBackend('auto', createBackendRegistry([missing('tensorflow-gpu', '@tensorflow/not-installed-gpu'), builtin('cpu')]), log);
    const records = lines.map((l) => JSON.parse(l));
    expect(records.some((r) => r.msg === 'compute backend skipped' && r.backend === 'tensorflow-gpu')).toBe(true);
    expect(records.some((r) => r.msg === 'compute backend selected' && r.backend === 'cpu')).toBe(true);
  });

  it('refuses a registry that names a backend twice', () => {
    expect(() => createBackendRegistry([builtin('cpu'), builtin('cpu')])).toThrow(BackendDuplicateError);
  });
});
