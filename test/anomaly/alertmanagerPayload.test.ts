import { describe, expect, it } from 'vitest';
import { alertmanagerPayload } from '../../src/anomaly/alertmanagerPayload.ts';
import type { AlertEvent, AlertKind } from '../../src/anomaly/alertTracker.ts';

describe('Alertmanager payload', () => {
  it('names each kind of alert as receivers route it', () => {
    const names = (['anomaly', 'missing', 'stuck'] as AlertKind[]).map((kind) => {
      const e: AlertEvent = { type: 'alert', id: `s@${kind}`, status: 'firing', stream: 's', kind, severity: 'warning', openedAt: 0, resolvedAt: null, peak: 0.7, value: null, expected: null, summary: kind };
      const body = JSON.parse(alertmanagerPayload(e, 'http://x')) as { alerts: { labels: Record<string, string> }[] };
      return [body.alerts[0].labels.alertname, body.alerts[0].labels.kind];
    });
    expect(names).toEqual([['ForecasterAnomaly', 'anomaly'], ['ForecasterMissingData', 'missing'], ['ForecasterStuckSensor', 'stuck']]);
  });
});
