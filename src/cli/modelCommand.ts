import type { Config } from '../config.ts';
import { ServiceCallError, UsageError } from '../errors.ts';

/**
 * `forecaster model list` and `forecaster model rollback VERSION`, against a
 * running service's HTTP API (FORECASTER_URL, FORECASTER_TOKEN with the admin
 * scope for rollback): no restart needed.
 * @throws UsageError for a bad sub-command; ServiceCallError with the service's code when it refuses.
 */
export async function modelCommand(config: Config, sub: string | undefined, arg: string | undefined, url: string | undefined): Promise<void> {
  const base = (url ?? config.client.url).replace(/\/$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (config.client.token !== '') headers.authorization = `Bearer ${config.client.token}`;
  const call = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { ...init, headers });
    } catch (err) {
      throw new ServiceCallError('FC_ERR_SERVICE_UNREACHABLE', `cannot reach the service at ${base}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const body = (await res.json()) as { code?: string; message?: string };
    if (!res.ok) throw new ServiceCallError(body.code ?? 'FC_ERR_SERVICE', body.message ?? `HTTP ${res.status}`);
    return body;
  };
  if (sub === 'list') {
    const m = (await call('/api/v1/model')) as { live: { version: number }; checkpoints: { version: number; parent: number | null; status: string; createdAt: number; metrics: unknown }[] };
    for (const c of m.checkpoints) {
      process.stdout.write(`${JSON.stringify({ version: c.version, status: c.status, parent: c.parent, createdAt: new Date(c.createdAt).toISOString(), metrics: c.metrics })}\n`);
    }
    return;
  }
  if (sub === 'rollback') {
    const version = Number(arg);
    if (!Number.isInteger(version)) throw new UsageError('model rollback needs a version: forecaster model rollback VERSION');
    process.stdout.write(`${JSON.stringify(await call('/api/v1/model/live', { method: 'POST', body: JSON.stringify({ version }) }))}\n`);
    return;
  }
  throw new UsageError(`unknown model command "${sub ?? ''}"; try: forecaster model list | forecaster model rollback VERSION`);
}
