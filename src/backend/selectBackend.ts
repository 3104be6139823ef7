import * as tf from '@tensorflow/tfjs';
import type { Logger } from 'pino';
import type { BackendChoice, BackendName } from '../config.ts';
import { BackendUnavailableError } from '../errors.ts';
import type { BackendPlugin } from './backendPlugin.ts';

export interface SkippedBackend {
  readonly name: BackendName;
  readonly reason: string;
}

export interface BackendSelection {
  readonly name: BackendName;
  readonly tfName: string;
  /** Better backends that were tried first, and why each was passed over. */
  readonly skipped: readonly SkippedBackend[];
}

/**
 * Initialises the best available backend from `registry` (best first), or the
 * one `choice` names. Logs the choice and every skip. Call once, at start-up,
 * before any tensor is made.
 * @throws BackendUnavailableError when the configured backend (or, for auto, every backend) fails.
 */
export async function selectBackend(
  choice: BackendChoice,
  registry: readonly BackendPlugin[],
  log: Logger,
): Promise<BackendSelection> {
  // Production mode skips per-op debug checks and the "install tfjs-node" banner.
  tf.enableProdMode();
  const candidates = choice === 'auto' ? registry : registry.filter((p) => p.name === choice);
  if (candidates.length === 0) throw new BackendUnavailableError(`backend "${choice}" is not in the registry`);
  const skipped: SkippedBackend[] = [];
  for (const plugin of candidates) {
    const reason = await tryActivate(plugin);
    if (reason === null) {
      const selection = { name: plugin.name, tfName: plugin.tfName, skipped };
      log.info({ backend: plugin.name, configured: choice, skipped }, 'compute backend selected');
      return selection;
    }
    skipped.push({ name: plugin.name, reason });
    log.info({ backend: plugin.name, reason }, 'compute backend skipped');
    if (choice !== 'auto') throw new BackendUnavailableError(`configured backend "${choice}" is unavailable: ${reason}`);
  }
  throw new BackendUnavailableError(`no compute backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** Returns null when the backend is active, else why it could not be. */
async function tryActivate(plugin: BackendPlugin): Promise<string | null> {
  try {
    await plugin.load();
  } catch (err) {
    return describeLoadFailure(plugin, err);
  }
  if (tf.findBackendFactory(plugin.tfName) === null) {
    return `package loaded but registered no "${plugin.tfName}" backend`;
  }
  try {
    const ok = await tf.setBackend(plugin.tfName);
    if (!ok) return `tfjs could not initialise the "${plugin.tfName}" backend`;
    await tf.ready();
  } catch (err) {
    return `initialisation failed: ${errorMessage(err)}`;
  }
  return null;
}

function describeLoadFailure(plugin: BackendPlugin, err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && plugin.packageName !== null) {
    return `package ${plugin.packageName} is not installed`;
  }
  return `loading ${plugin.packageName ?? plugin.name} failed: ${errorMessage(err)}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}
