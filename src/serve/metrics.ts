import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's Prometheus metrics, in a registry of its own (no process-global state). */
export interface Metrics {
  readonly registry: Registry;
  readonly readingsIngested: Counter<'source'>;
  readonly readingsRejected: Counter<'code'>;
  readonly alerts: Counter;
  readonly tickSize: Histogram;
  readonly tickLatency: Histogram;
  readonly storeLatency: Histogram;
  readonly inFlight: Gauge;
  readonly streams: Gauge;
  readonly httpRequests: Counter<'route' | 'status'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'forecaster_process_' });
  return {
    registry,
    readingsIngested: new Counter({ name: 'forecaster_readings_ingested_total', help: 'Readings accepted and committed, by source', labelNames: ['source'], registers: [registry] }),
    alerts: new Counter({ name: 'forecaster_alerts_total', help: 'Alert events stored (opened or escalated)', registers: [registry] }),
    readingsRejected: new Counter({ name: 'forecaster_readings_rejected_total', help: 'Readings refused, by rejection code', labelNames: ['code'], registers: [registry] }),
    tickSize: new Histogram({ name: 'forecaster_tick_readings', help: 'Readings per engine tick', buckets: [1, 8, 64, 256, 1024, 4096, 16384], registers: [registry] }),
    tickLatency: new Histogram({ name: 'forecaster_tick_seconds', help: 'Engine time per tick', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25], registers: [registry] }),
    storeLatency: new Histogram({ name: 'forecaster_store_commit_seconds', help: 'From a tick leaving the engine to its commit', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
    inFlight: new Gauge({ name: 'forecaster_ingest_in_flight', help: 'Readings received over HTTP and not yet committed', registers: [registry] }),
    streams: new Gauge({ name: 'forecaster_streams_in_memory', help: 'Streams whose state is in memory', registers: [registry] }),
    httpRequests: new Counter({ name: 'forecaster_http_requests_total', help: 'HTTP requests, by route and status', labelNames: ['route', 'status'], registers: [registry] }),
  };
}
