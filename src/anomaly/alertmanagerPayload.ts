import { createHash } from 'node:crypto';
import type { AlertEvent } from './alertTracker.ts';

/** The `alertname` label of each kind of alert. */
const ALERT_NAMES: Record<AlertEvent['kind'], string> = { anomaly: 'ForecasterAnomaly', missing: 'ForecasterMissingData', stuck: 'ForecasterStuckSensor' };

/** Alertmanager's "not ended" time, which receivers read as a firing alert. */
const NOT_ENDED = '0001-01-01T00:00:00Z';

/**
 * One alert event as an Alertmanager webhook (version 4) message, so receivers
 * written for Alertmanager take it unchanged: one alert per message, grouped by
 * the alert's id, labels `alertname`, `stream`, `severity`, `kind`.
 */
export function alertmanagerPayload(e: AlertEvent, externalUrl: string): string {
  const labels = { alertname: ALERT_NAMES[e.kind], stream: e.stream, severity: e.severity, kind: e.kind };
  const annotations: Record<string, string> = { summary: `${e.stream}: ${e.summary}`, peak_likelihood: e.peak.toFixed(4) };
  if (e.value !== null) annotations.value = String(e.value);
  if (e.expected !== null) annotations.expected = `${e.expected.mean} [${e.expected.lower}, ${e.expected.upper}]`;
  const alert = {
    status: e.status,
    labels,
    annotations,
    startsAt: new Date(e.openedAt).toISOString(),
    endsAt: e.resolvedAt === null ? NOT_ENDED : new Date(e.resolvedAt).toISOString(),
    generatorURL: `${externalUrl}/api/v1/alerts`,
    fingerprint: createHash('sha256').update(e.id).digest('hex').slice(0, 16),
  };
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alert_id="${e.id}"}`,
    truncatedAlerts: 0,
    status: e.status,
    receiver: 'forecaster',
    groupLabels: { alertname: labels.alertname, stream: e.stream },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: externalUrl,
    alerts: [alert],
  });
}
