import { pino } from 'pino';
import { createBackendRegistry } from '../../src/backend/backendRegistry.ts';
import { selectBackend } from '../../src/backend/selectBackend.ts';

/** Activates the best backend this machine has, as the service would. */
export async function useBestBackend(): Promise<string> {
  const sel = await selectBackend('auto', createBackendRegistry(), pino({ level: 'silent' }));
  return sel.name;
}
