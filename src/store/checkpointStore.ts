import { decodeModel, encodeModel, type Model } from '../model/modelFile.ts';
import type { Db } from './openDatabase.ts';
import { toStoreError } from './storeErrors.ts';

export type CheckpointStatus = 'live' | 'candidate' | 'retired';

export interface CheckpointInfo {
  readonly version: number;
  readonly parent: number | null;
  readonly createdAt: number;
  readonly status: CheckpointStatus;
  readonly metrics: unknown;
  readonly dataFrom: number | null;
  readonly dataTo: number | null;
}

export interface SaveOptions {
  readonly status: CheckpointStatus;
  readonly parent?: number | null;
  readonly dataFrom?: number | null;
  readonly dataTo?: number | null;
  readonly metrics?: unknown;
}

interface Row {
  version: number;
  parent: number | null;
  created_at: number;
  status: CheckpointStatus;
  metrics: string | null;
  data_from: number | null;
  data_to: number | null;
}

/** Model weights by version, in the model file format, with lineage and status. At most one is live. */
export class CheckpointStore {
  constructor(private readonly db: Db, private readonly file: string) {}

  /**
   * Stores `model` as the next version (or as `model.meta.version` when the table is empty).
   * Saving with status live retires the previous live version in the same transaction.
   * @throws StoreError naming the file.
   */
  save(model: Model, options: SaveOptions): number {
    try {
      return this.db.transaction(() => {
        const max = (this.db.prepare('SELECT max(version) AS v FROM model_checkpoints').get() as { v: number | null }).v;
        const version = max === null ? model.meta.version : max + 1;
        if (options.status === 'live') this.db.prepare("UPDATE model_checkpoints SET status = 'retired' WHERE status = 'live'").run();
        const blob = encodeModel({ ...model, meta: { ...model.meta, version } });
        this.db
          .prepare(
            'INSERT INTO model_checkpoints (version, parent, created_at, architecture, weights, data_from, data_to, metrics, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(version, options.parent ?? null, Date.now(), JSON.stringify(model.spec), blob, options.dataFrom ?? null, options.dataTo ?? null,
            options.metrics === undefined ? null : JSON.stringify(options.metrics), options.status);
        return version;
      })();
    } catch (err) {
      throw toStoreError(err, this.file, 'saving a model checkpoint');
    }
  }

  /** The model stored as `version`, or undefined. @throws ModelFormatError for a damaged blob. */
  load(version: number): Model | undefined {
    const row = this.db.prepare('SELECT weights FROM model_checkpoints WHERE version = ?').get(version) as { weights: Buffer } | undefined;
    return row === undefined ? undefined : decodeModel(row.weights, `${this.file} checkpoint ${version}`);
  }

  /** The live model, or undefined on a fresh database. */
  live(): Model | undefined {
    const row = this.db.prepare("SELECT version FROM model_checkpoints WHERE status = 'live'").get() as { version: number } | undefined;
    return row === undefined ? undefined : this.load(row.version);
  }

  /** The live model; on a fresh database, `fallback` stored as the first live version. */
  ensureLive(fallback: Model): Model {
    const live = this.live();
    if (live !== undefined) return live;
    const version = this.save(fallback, { status: 'live', parent: null, metrics: fallback.meta });
    const stored = this.load(version);
    if (stored === undefined) throw toStoreError(new Error('checkpoint vanished after saving'), this.file, 'saving the first model');
    return stored;
  }

  /**
   * Makes `version` the live one (retiring the current live one) in one transaction.
   * @throws StoreError naming the file.
   */
  setLive(version: number): void {
    try {
      this.db.transaction(() => {
        this.db.prepare("UPDATE model_checkpoints SET status = 'retired' WHERE status = 'live' AND version <> ?").run(version);
        this.db.prepare("UPDATE model_checkpoints SET status = 'live' WHERE version = ?").run(version);
      })();
    } catch (err) {
      throw toStoreError(err, this.file, `making model version ${version} live`);
    }
  }

  list(): CheckpointInfo[] {
    const rows = this.db.prepare('SELECT version, parent, created_at, status, metrics, data_from, data_to FROM model_checkpoints ORDER BY version').all() as Row[];
    return rows.map((r) => ({
      version: r.version,
      parent: r.parent,
      createdAt: r.created_at,
      status: r.status,
      metrics: r.metrics === null ? null : JSON.parse(r.metrics),
      dataFrom: r.data_from,
      dataTo: r.data_to,
    }));
  }
}
