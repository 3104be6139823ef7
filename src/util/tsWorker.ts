import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';

/** tsx's ESM API (the .mjs beside the resolvable .cjs), so a worker can run the TypeScript sources. */
const TSX_API = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;

/**
 * Starts a worker thread on a TypeScript module. A worker's entry is loaded
 * before any hook it could register, so a tiny bootstrap registers tsx first,
 * then imports the module. Resolves once the worker posts 'ready'.
 * @throws Error when the worker fails or exits before it is ready.
 */
export async function startTsWorker(moduleUrl: URL, workerData: unknown, transferList: readonly TransferListItem[] = []): Promise<Worker> {
  const bootstrap = `import(${JSON.stringify(TSX_API)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
  const worker = new Worker(bootstrap, { eval: true, workerData, transferList: [...transferList] });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    const onExit = (code: number) => reject(new Error(`worker exited with code ${code} before it was ready`));
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.once('message', (m) => {
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (m === 'ready') resolve();
      else reject(new Error(`unexpected first message from worker: ${JSON.stringify(m)}`));
    });
  });
  return worker;
}
