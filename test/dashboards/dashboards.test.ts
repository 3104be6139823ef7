import { readdirSync, readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Service, startService } from '../../src/serve/service.ts';
import { tempDir } from '../support/tempDir.ts';

const ADMIN = 'admin-token-dash-0123456789';
const FEED = 'feed-token-dash-0123456789';
const INGEST = 'ingest-token-dash-0123456789';
const COMPOSE_HOST = 'http://forecaster:8080';
const tmp = tempDir('forecaster-dash');
let service: Service;

interface Target {
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly expr?: string;
  readonly url?: string;
  readonly root_selector?: string;
  readonly columns?: readonly { readonly selector: string }[];
}
interface Panel {
  readonly title: string;
  readonly type: string;
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}

const dashboards = readdirSync('dashboards')
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, json: JSON.parse(readFileSync(`dashboards/${f}`, 'utf8')) as { panels: Panel[]; templating: { list: { query?: Target }[] } } }));

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords, label names or durations. */
function promqlMetrics(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names: string[] = [];
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = bare.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(m[0].toLowerCase())) continue;
    names.push(m[0]);
  }
  return names;
}

describe('Grafana dashboards', () => {
  beforeAll(async () => {
    const config = loadConfig(
      {
        store: { path: tmp.path('dash.db') },
        statsIntervalS: 0,
        engine: { maxWaitMs: 2 },
        server: { port: 0, tokens: [{ token: ADMIN, scopes: ['admin'] }, { token: FEED, scopes: ['feed'] }, { token: INGEST, scopes: ['ingest'] }] },
      },
      {},
    );
    service = await startService(config, pino({ level: 'silent' }), { simulate: false });
    const t0 = Date.now() - 3_600_000;
    const readings = Array.from({ length: 30 }, (_, i) => ({ stream: 'dash/room 1', ts: t0 + i * 60_000, value: 20 + (i % 5) }));
    const res = await fetch(`${service.url}/api/v1/readings`, { method: 'POST', headers: { authorization: `Bearer ${INGEST}`, 'content-type': 'application/json' }, body: JSON.stringify(readings) });
    expect(res.status).toBe(200);
  });

  afterAll(async () => {
    await service.stop();
    tmp.remove();
  });

  it('reads PromQL the way the check below relies on', () => {
    expect(promqlMetrics('histogram_quantile(0.99, sum by (le) (rate(forecaster_tick_seconds_bucket{job="x"}[1m])))')).toEqual(['forecaster_tick_seconds_bucket']);
    expect(promqlMetrics('sum(rate(a_total[5m])) / sum(rate(b_count[5m])) and on (x) c')).toEqual(['a_total', 'b_count', 'c']);
  });

  it('queries only metrics that a running instance exports, in every Prometheus panel', async () => {
    const text = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    const exported = new Set<string>();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exported.add(m[1]);
      if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(m[1] + s);
      if (m[2] === 'summary') for (const s of ['_sum', '_count']) exported.add(m[1] + s);
    }
    expect(exported.size).toBeGreaterThan(10);
    let checked = 0;
    for (const { file, json } of dashboards) {
      for (const panel of allPanels(json.panels)) {
        const prom = (panel.targets ?? []).filter((t) => t.datasource?.type === 'prometheus');
        if (prom.length === 0) continue;
        const names = prom.flatMap((t) => promqlMetrics(t.expr ?? ''));
        expect(names.length, `${file}: "${panel.title}" names no metric`).toBeGreaterThan(0);
        for (const n of names) expect(exported.has(n), `${file}: "${panel.title}" queries ${n}, which the service does not export`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });

  it('reads forecast vs actual from HTTP API routes that answer with the fields each panel selects', async () => {
    const targets = dashboards.flatMap(({ json }) => [
      ...allPanels(json.panels).flatMap((p) => p.targets ?? []),
      ...json.templating.list.flatMap((v) => (v.query === undefined ? [] : [v.query])),
    ]);
    const api = targets.filter((t) => t.datasource?.type === 'yesoreyeram-infinity-datasource' || t.url !== undefined);
    expect(api.length).toBeGreaterThanOrEqual(3);
    for (const t of api) {
      expect(t.url?.startsWith(COMPOSE_HOST), t.url).toBe(true);
      const url = t
        .url!.replace(COMPOSE_HOST, service.url)
        .replace('${stream:percentencode}', encodeURIComponent('dash/room 1'))
        .replace('${__from}', '0')
        .replace('${__to}', String(Date.now()));
      const res = await fetch(url, { headers: { authorization: `Bearer ${FEED}` } });
      expect(res.status, url).toBe(200);
      const body = (await res.json()) as Record<string, Record<string, unknown>[]>;
      const rows = body[t.root_selector!];
      expect(Array.isArray(rows), `${url} has no "${t.root_selector}"`).toBe(true);
      if (rows.length === 0) continue;
      for (const c of t.columns ?? []) expect(Object.hasOwn(rows[0], c.selector), `${url}: rows lack "${c.selector}"`).toBe(true);
    }
  });

  it('provisions the datasources the dashboards use', () => {
    const provisioned = readFileSync('dashboards/provisioning/datasources/forecaster.yml', 'utf8');
    const uids = new Set([...provisioned.matchAll(/^\s*uid:\s*(\S+)/gm)].map((m) => m[1]));
    for (const { file, json } of dashboards) {
      for (const panel of allPanels(json.panels)) {
        for (const t of panel.targets ?? []) if (t.datasource?.uid !== undefined) expect(uids.has(t.datasource.uid), `${file}: ${t.datasource.uid}`).toBe(true);
      }
    }
  });
});
