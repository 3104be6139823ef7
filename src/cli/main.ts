import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { type App, buildApp, loadModel } from '../app.ts';
import { startService } from '../serve/service.ts';
import { createBackendRegistry } from '../backend/backendRegistry.ts';
import { selectBackend } from '../backend/selectBackend.ts';
import { type ConfigOverrides, DEFAULT_MODEL_PATH, loadConfig } from '../config.ts';
import { ForecasterError, UsageError } from '../errors.ts';
import { TRAIN_DEFAULT_OPTIONS, trainDefaultModel } from '../jobs/trainDefault.ts';
import { AckWriter } from '../ingest/ackWriter.ts';
import { NdjsonSource } from '../ingest/ndjsonSource.ts';
import { readCsv, replay } from '../ingest/csvReplay.ts';
import { evalNab } from './evalNab.ts';
import { evalOnline, parseHorizons } from './evalOnline.ts';
import { evalSim } from './evalSim.ts';
import { modelCommand } from './modelCommand.ts';
import { retrainCommand } from './retrainCommand.ts';
import { progressBar } from './progressBar.ts';
import { createLogger } from '../log.ts';
import { dbStats } from '../store/dbStats.ts';
import { Store } from '../store/store.ts';

const USAGE = `usage: forecaster <command> [options]

commands:
  run             run the service on embedded defaults (simulated streams, SQLite file)
  replay FILE.csv replay a CSV (NAB timestamp,value or multi-column like ETT) through the
                  engine into the store, with a progress bar; --speed N paces it at N× the
                  file's clock (default: as fast as possible); --prefix P names the streams
  eval nab --data DIR [--out DIR] [--json]
                  run the live anomaly detector over a NAB-layout folder (data/, labels/),
                  write NAB's results layout (default results/nab) and print the NAB
                  standard, low-FP and low-FN scores beside the published detectors
  eval online --data FILE.csv [--horizon 1,24,48] [--json]
                  the online test-then-train protocol on a multi-column CSV (ETT layout),
                  each column a stream: warm up on the training rows, then walk the test
                  rows forecasting the next H values before learning from them; prints MSE
                  and MAE per horizon beside "repeat the last value"
  eval sim [--rounds N] [--streams N] [--seed N] [--json]
                  the simulator's fleet (default 300 streams, 3,000 rounds of one simulated
                  minute) through the engine and alert lifecycle, as fast as possible; prints
                  the alerts opened, those answering no injected anomaly (false alerts), and
                  per injected kind how many an alert answered within an hour
  retrain [--epochs N]
                  fine-tune the live model on the database's recent readings on a trainer
                  thread, with progress; promote it when it beats the live model on the
                  held-back newest readings (a running service takes it at its next start)
  model list [--url URL]
  model rollback VERSION [--url URL]
                  list the checkpoints of a running service, or make VERSION live on it at
                  once (streams re-warmed); URL from --url or FORECASTER_URL (default
                  http://127.0.0.1:8080), token from FORECASTER_TOKEN (admin scope)
  migrate         create or upgrade the SQLite file's schema, then exit
  db stats        print the SQLite file's size and row counts
  train-default   train the model shipped with the package on synthetic series
  info            show the backend that would be chosen and the model
  help            show this text

options (run, info):
  --backend NAME        auto | tensorflow-gpu | tensorflow | wasm | cpu   (FORECASTER_BACKEND)
  --model FILE          model file for a fresh database (FORECASTER_MODEL; default: the shipped model)
  --db FILE             SQLite file (FORECASTER_DB; default data/forecaster.db)
  --port N              HTTP port (FORECASTER_PORT; default 8080; 0 picks a free one)
  --host HOST           HTTP host (FORECASTER_HOST; default 127.0.0.1; others need FORECASTER_TOKENS)
  --streams N           simulated streams (FORECASTER_SIM_STREAMS; default 300)
  --seed N              simulator seed: its sensors and injected anomalies (default 7)
  --tick-ms N           wall ms between simulator rounds (FORECASTER_SIM_TICK_MS; default 100)
  --max-batch N         most readings per tick (FORECASTER_MAX_BATCH; default 4096)
  --max-wait-ms N       longest a reading waits for its tick (FORECASTER_MAX_WAIT_MS; default 20)
  --stats-interval S    seconds between throughput log lines (default 5)
  --duration S          stop after S seconds (default: run until SIGINT/SIGTERM)
  --ingest stdin        read readings as NDJSON on stdin instead of simulating; acknowledge
                        each line on stdout once committed ({"seq":N,"ok":true} or its
                        rejection code); logs go to stderr; exits when stdin ends
  --snapshot-interval S seconds between stream-state snapshots (FORECASTER_SNAPSHOT_INTERVAL_S; default 30)
  --log-level LEVEL     fatal | error | warn | info | debug | trace | silent

options (train-default):
  --out FILE  --epochs N  --seed N`;

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      backend: { type: 'string' },
      model: { type: 'string' },
      db: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      streams: { type: 'string' },
      'tick-ms': { type: 'string' },
      'max-batch': { type: 'string' },
      'max-wait-ms': { type: 'string' },
      'stats-interval': { type: 'string' },
      duration: { type: 'string' },
      ingest: { type: 'string' },
      speed: { type: 'string' },
      prefix: { type: 'string' },
      'snapshot-interval': { type: 'string' },
      'log-level': { type: 'string' },
      out: { type: 'string' },
      epochs: { type: 'string' },
      seed: { type: 'string' },
      rounds: { type: 'string' },
      data: { type: 'string' },
      horizon: { type: 'string' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0] ?? 'run';
  if (values.help || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const overrides: ConfigOverrides = {
    backend: values.backend,
    modelPath: values.model,
    logLevel: values['log-level'],
    statsIntervalS: num('stats-interval', values['stats-interval']),
    engine: defined({ maxBatch: num('max-batch', values['max-batch']), maxWaitMs: num('max-wait-ms', values['max-wait-ms']) }),
    simulator: defined({ streams: num('streams', values.streams), tickMs: num('tick-ms', values['tick-ms']), seed: num('seed', values.seed) }),
    store: defined({ path: values.db, snapshotIntervalS: num('snapshot-interval', values['snapshot-interval']) }),
    server: defined({ port: num('port', values.port), host: values.host }),
  };
  const config = loadConfig(overrides);
  if (values.ingest !== undefined && values.ingest !== 'stdin') throw new UsageError(`--ingest takes only "stdin" for now; got ${JSON.stringify(values.ingest)}`);
  const stdinIngest = values.ingest === 'stdin';
  // With acknowledgements on stdout, logs move to stderr.
  const log = createLogger(config.logLevel, stdinIngest ? 2 : 1);

  switch (command) {
    case 'run': {
      let source: NdjsonSource | null = null;
      let acks: AckWriter | null = null;
      if (stdinIngest) {
        const src = new NdjsonSource(process.stdin, (r) => acks?.rejected(r));
        source = src;
        acks = new AckWriter(process.stdout, (reading) => src.seqOf(reading));
      }
      let app: App;
      let stopAll: () => Promise<void>;
      if (source !== null) {
        const stdinApp = await buildApp(config, { log, source: source.readings() });
        const ackSink = acks;
        if (ackSink !== null) stdinApp.committed$.subscribe((tick) => ackSink.committed(tick));
        stdinApp.start();
        app = stdinApp;
        stopAll = () => stdinApp.stop();
      } else {
        const service = await startService(config, log);
        app = service.app;
        stopAll = () => service.stop();
      }
      const duration = num('duration', values.duration);
      const failure = await new Promise<unknown>((resolve) => {
        const finish = () => resolve(null);
        process.once('SIGINT', finish);
        process.once('SIGTERM', finish);
        if (duration !== undefined) setTimeout(finish, duration * 1000).unref();
        // The pipeline ends on its own when its source does (stdin closed) or fails.
        void app.done().then((err) => resolve(err));
      });
      await stopAll();
      if (failure instanceof ForecasterError) throw failure;
      return failure === null ? 0 : 1;
    }
    case 'replay': {
      const file = positionals[1];
      if (file === undefined) throw new UsageError('replay needs a CSV file: forecaster replay FILE.csv');
      const table = readCsv(file, values.prefix);
      const bar = progressBar(`replay ${file}`);
      let app: App | null = null;
      const source = replay(table, { speed: num('speed', values.speed) ?? 0, onProgress: bar, backlog: () => app?.pendingWrites() ?? 0 });
      app = await buildApp(config, { log, source });
      app.start();
      const failure = await app.done();
      await app.stop();
      process.stderr.write('\n');
      if (failure instanceof ForecasterError) throw failure;
      process.stdout.write(`${JSON.stringify({ replay: file, streams: table.streams.length, rows: table.ts.length, readings: app.stats.readings, forecasts: app.stats.forecasts })}\n`);
      return failure === null ? 0 : 1;
    }
    case 'eval': {
      if (positionals[1] === 'online') {
        if (values.data === undefined) throw new UsageError('eval online needs --data FILE.csv (a time column, then one column per stream, like ETT)');
        await evalOnline(config, log, values.data, parseHorizons(values.horizon ?? '1,24,48'), values.json === true);
        return 0;
      }
      if (positionals[1] === 'sim') {
        const rounds = num('rounds', values.rounds) ?? 3000;
        if (!Number.isInteger(rounds) || rounds < 1) throw new UsageError(`--rounds takes a whole number of rounds, 1 or more; got ${values.rounds}`);
        await evalSim(config, log, rounds, values.json === true);
        return 0;
      }
      if (positionals[1] !== 'nab') {
        throw new UsageError(`unknown eval "${positionals[1] ?? ''}"; try: forecaster eval nab --data DIR, forecaster eval online --data FILE.csv, or forecaster eval sim`);
      }
      if (values.data === undefined) throw new UsageError('eval nab needs --data DIR (a folder in NAB\'s layout: data/ and labels/)');
      await evalNab(config, log, values.data, values.out ?? 'results/nab', values.json === true);
      return 0;
    }
    case 'model': {
      await modelCommand(config, positionals[1], positionals[2], values.url);
      return 0;
    }
    case 'retrain': {
      await retrainCommand(config, log, { epochs: num('epochs', values.epochs) });
      return 0;
    }
    case 'migrate': {
      const bars = new Map<number, (done: number, total: number) => void>();
      const store = Store.open(config.store.path, {
        onMigrationProgress: ({ version, name, done, total }) => {
          let bar = bars.get(version);
          if (bar === undefined) bars.set(version, (bar = progressBar(`migration ${version} (${name})`)));
          bar(done, total);
        },
      });
      const m = store.migration;
      store.close();
      process.stdout.write(`${JSON.stringify({ file: config.store.path, from: m.from, to: m.to, applied: m.applied })}\n`);
      return 0;
    }
    case 'db': {
      if (positionals[1] !== 'stats') throw new UsageError(`unknown db command "${positionals[1] ?? ''}"; try: forecaster db stats`);
      process.stdout.write(`${JSON.stringify(dbStats(config.store.path), null, 2)}\n`);
      return 0;
    }
    case 'train-default': {
      await selectBackend(config.backend, createBackendRegistry(), log.child({ component: 'backend' }));
      const out = values.out ?? DEFAULT_MODEL_PATH;
      await trainDefaultModel(
        {
          ...TRAIN_DEFAULT_OPTIONS,
          out,
          epochs: num('epochs', values.epochs) ?? TRAIN_DEFAULT_OPTIONS.epochs,
          seed: num('seed', values.seed) ?? TRAIN_DEFAULT_OPTIONS.seed,
        },
        log.child({ component: 'train' }),
      );
      return 0;
    }
    case 'info': {
      const backend = await selectBackend(config.backend, createBackendRegistry(), log.child({ component: 'backend' }));
      const model = loadModel(config.modelPath);
      process.stdout.write(`${JSON.stringify({ backend, model: { path: config.modelPath, spec: model.spec, meta: model.meta } }, null, 2)}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  }
}

function num(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number; got ${JSON.stringify(raw)}`);
  return n;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Run directly (node --import tsx src/cli/main.ts); bin/forecaster.js calls runCli instead.
  await runCli(process.argv.slice(2));
}

/** Runs the CLI and sets the exit code; errors print their code and message. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (err) {
    if (err instanceof ForecasterError) {
      process.stderr.write(`forecaster: ${err.code}: ${err.message}\n`);
      process.exitCode = err.code === 'FC_ERR_USAGE' ? 64 : 1;
    } else if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`forecaster: FC_ERR_USAGE: ${err.message}\n${USAGE}\n`);
      process.exitCode = 64;
    } else {
      throw err;
    }
  }
}
