/**
 * Every error this service raises, each with a stable code that is never reused.
 * Tests and API clients match on `code`; messages may be reworded.
 */
export class ForecasterError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Codes attached to rejected readings. Stable: clients and metrics key on them. */
export const RejectCode = {
  KEY_NOT_STRING: 'FC_ERR_KEY_NOT_STRING',
  KEY_EMPTY: 'FC_ERR_KEY_EMPTY',
  KEY_TOO_LONG: 'FC_ERR_KEY_TOO_LONG',
  VALUE_NOT_NUMBER: 'FC_ERR_VALUE_NOT_NUMBER',
  VALUE_NOT_FINITE: 'FC_ERR_VALUE_NOT_FINITE',
  TS_INVALID: 'FC_ERR_TS_INVALID',
  TS_OUT_OF_ORDER: 'FC_ERR_TS_OUT_OF_ORDER',
  TS_DUPLICATE: 'FC_ERR_TS_DUPLICATE',
  JSON_INVALID: 'FC_ERR_JSON_INVALID',
  TAGS_INVALID: 'FC_ERR_TAGS_INVALID',
  PAYLOAD_TOO_LARGE: 'FC_ERR_PAYLOAD_TOO_LARGE',
  TOO_MANY_STREAMS: 'FC_ERR_TOO_MANY_STREAMS',
} as const;
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode];

/** A reading that failed validation. Carries the code and what was wrong. */
export class InvalidReadingError extends ForecasterError {
  constructor(code: RejectCode, message: string) {
    super(code, message);
  }
}

/** Configuration that cannot be used; thrown once, at start-up. */
export class ConfigError extends ForecasterError {
  constructor(message: string) {
    super('FC_ERR_CONFIG', message);
  }
}

/** No tfjs backend could be initialised (or the one configured is unavailable). */
export class BackendUnavailableError extends ForecasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FC_ERR_BACKEND_UNAVAILABLE', message, options);
  }
}

/** Registering a backend name twice in one registry. */
export class BackendDuplicateError extends ForecasterError {
  constructor(name: string) {
    super('FC_ERR_BACKEND_DUPLICATE', `backend "${name}" is registered twice`);
  }
}

/** The step computation could not be set up (a compute thread failed to start). */
export class KernelError extends ForecasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FC_ERR_KERNEL', message, options);
  }
}

/** A model file that is not one, is of an unknown format version, or is damaged. */
export class ModelFormatError extends ForecasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FC_ERR_MODEL_FORMAT', message, options);
  }
}

/** Weights whose shapes do not fit the architecture they claim, or do not fit the engine. */
export class ModelShapeError extends ForecasterError {
  constructor(message: string) {
    super('FC_ERR_MODEL_SHAPE', message);
  }
}

/** A serialised stream state that cannot be restored (wrong size or layout version). */
export class StreamStateError extends ForecasterError {
  constructor(message: string) {
    super('FC_ERR_STREAM_STATE', message);
  }
}

/** The SQLite store could not be opened, migrated or written. `file` names the database. */
export class StoreError extends ForecasterError {
  readonly file: string;
  constructor(code: StoreErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(code, `${file}: ${message}`, options);
    this.file = file;
  }
}

export const StoreErrorCode = {
  /** The file cannot be opened or created (missing folder, no permission). */
  OPEN: 'FC_ERR_STORE_OPEN',
  /** The file is not an SQLite database, or is damaged. */
  CORRUPT: 'FC_ERR_STORE_CORRUPT',
  /** The database was migrated by a newer version of this service. */
  TOO_NEW: 'FC_ERR_STORE_TOO_NEW',
  /** An applied migration's file was changed afterwards. */
  MIGRATION_CHANGED: 'FC_ERR_STORE_MIGRATION_CHANGED',
  /** The disk (or the database's size limit) is full; nothing of the failed write was kept. */
  FULL: 'FC_ERR_STORE_FULL',
  /** The file is read-only. */
  READONLY: 'FC_ERR_STORE_READONLY',
  /** Any other failed write; nothing of it was kept. */
  WRITE: 'FC_ERR_STORE_WRITE',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/** Codes of requests the HTTP API refuses as a whole. */
export const HttpErrorCode = {
  AUTH_MISSING: 'FC_ERR_AUTH_MISSING',
  AUTH_INVALID: 'FC_ERR_AUTH_INVALID',
  AUTH_SCOPE: 'FC_ERR_AUTH_SCOPE',
  BODY_TOO_LARGE: 'FC_ERR_BODY_TOO_LARGE',
  BATCH_TOO_LARGE: 'FC_ERR_BATCH_TOO_LARGE',
  JSON_INVALID: 'FC_ERR_JSON_INVALID',
  OVERLOADED: 'FC_ERR_OVERLOADED',
  UNAVAILABLE: 'FC_ERR_UNAVAILABLE',
  NOT_FOUND: 'FC_ERR_NOT_FOUND',
  METHOD: 'FC_ERR_METHOD_NOT_ALLOWED',
  CONTENT_TYPE: 'FC_ERR_CONTENT_TYPE',
  QUERY_INVALID: 'FC_ERR_QUERY_INVALID',
  STREAM_NOT_FOUND: 'FC_ERR_STREAM_NOT_FOUND',
  MODEL_NOT_FOUND: 'FC_ERR_MODEL_NOT_FOUND',
  MODEL_SHAPE: 'FC_ERR_MODEL_SHAPE',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/** The HTTP server could not listen (port in use, address not available). */
export class ListenError extends ForecasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FC_ERR_LISTEN', message, options);
  }
}

/** An input file (a CSV to replay) that cannot be read as one. */
export class InputFileError extends ForecasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FC_ERR_INPUT_FILE', message, options);
  }
}

/** A CLI invocation that cannot be understood. */
export class UsageError extends ForecasterError {
  constructor(message: string) {
    super('FC_ERR_USAGE', message);
  }
}

/** Background training failed or was stopped; the live model is untouched. */
export class TrainingError extends ForecasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FC_ERR_TRAINING', message, options);
  }
}

/** Not enough recent readings to train and validate a candidate model. */
export class TrainingDataError extends ForecasterError {
  constructor(message: string) {
    super('FC_ERR_TRAINING_DATA', message);
  }
}

/** A model version that the checkpoint store does not hold. */
export class ModelNotFoundError extends ForecasterError {
  constructor(message: string) {
    super(HttpErrorCode.MODEL_NOT_FOUND, message);
  }
}

/** A running service refused or could not be reached by a CLI command; carries the service's code. */
export class ServiceCallError extends ForecasterError {}
