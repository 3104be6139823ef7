import { AlertStore } from './alertStore.ts';
import { CheckpointStore } from './checkpointStore.ts';
import { type MigrationProgress, type MigrationResult, migrate } from './migrate.ts';
import { type Db, openDatabase } from './openDatabase.ts';
import { StateSnapshots } from './stateSnapshots.ts';
import type { ReadingIndexOptions } from './readingIndex.ts';
import { TickWriter } from './tickWriter.ts';

/** The service's one SQLite file: opened, migrated, with its prepared writers. */
export class Store {
  readonly writer: TickWriter;
  readonly checkpoints: CheckpointStore;
  readonly snapshots: StateSnapshots;
  readonly alerts: AlertStore;

  private constructor(readonly db: Db, readonly file: string, readonly migration: MigrationResult, index?: ReadingIndexOptions) {
    this.writer = new TickWriter(db, file, index);
    this.checkpoints = new CheckpointStore(db, file);
    this.snapshots = new StateSnapshots(db, file, this.writer.streams);
    this.alerts = new AlertStore(db, this.writer.streams);
  }

  /**
   * Opens `file` (creating it and its folder if needed) and brings its schema up to date;
   * `onMigrationProgress` hears a long migration's progress; `index` sets when readings are indexed by stream.
   * @throws StoreError naming the file: not a database, unwritable, newer than this code.
   */
  static open(file: string, options: { onMigrationProgress?: MigrationProgress; index?: ReadingIndexOptions } = {}): Store {
    const db = openDatabase(file, { createFolder: true });
    try {
      return new Store(db, file, migrate(db, file, undefined, options.onMigrationProgress), options.index);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
