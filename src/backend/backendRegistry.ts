import { BackendDuplicateError } from '../errors.ts';
import type { BackendPlugin } from './backendPlugin.ts';

/**
 * The backends the service may run on, best first. Each entry imports its own
 * package; this file and `selectBackend.ts` are the only places that know one exists.
 */
export const BUILTIN_BACKENDS: readonly BackendPlugin[] = [
  {
    name: 'tensorflow-gpu',
    tfName: 'tensorflow',
    packageName: '@tensorflow/tfjs-node-gpu',
    load: async () => {
      await import('@tensorflow/tfjs-node-gpu' as string);
    },
  },
  {
    name: 'tensorflow',
    tfName: 'tensorflow',
    packageName: '@tensorflow/tfjs-node',
    load: async () => {
      await import('@tensorflow/tfjs-node' as string);
    },
  },
  {
    name: 'wasm',
    tfName: 'wasm',
    packageName: '@tensorflow/tfjs-backend-wasm',
    load: async () => {
      await import('@tensorflow/tfjs-backend-wasm');
    },
  },
  {
    name: 'cpu',
    tfName: 'cpu',
    packageName: null,
    // The plain JavaScript backend ships inside @tensorflow/tfjs and is always registered.
    load: async () => {},
  },
];

/**
 * An ordered, duplicate-free list of backend plug-ins.
 * @throws BackendDuplicateError when two plug-ins share a name.
 */
export function createBackendRegistry(plugins: readonly BackendPlugin[] = BUILTIN_BACKENDS): readonly BackendPlugin[] {
  const seen = new Set<string>();
  for (const p of plugins) {
    if (seen.has(p.name)) throw new BackendDuplicateError(p.name);
    seen.add(p.name);
  }
  return Object.freeze([...plugins]);
}
