import type { BackendName } from '../config.ts';

/**
 * One tfjs compute backend as a plug-in. `load` brings in its package (which
 * registers it with tfjs) and throws when the package or its native parts are
 * missing; `tfName` is the name tfjs knows it by.
 */
export interface BackendPlugin {
  readonly name: BackendName;
  readonly tfName: string;
  /** Optional packages the user installs for this backend (said in the skip reason). */
  readonly packageName: string | null;
  load(): Promise<void>;
}
