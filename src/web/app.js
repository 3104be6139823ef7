// The live page: streams list, one chart (readings, one-step forecast and its
// interval, alerts marked), alerts, and model and engine status. It talks to
// the same HTTP API and WebSocket feed as any client, with the same token
// (from ?token= or the form; kept in localStorage).

const KEEP_POINTS = 600;
const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);

const state = {
  token: new URLSearchParams(location.search).get('token') ?? localStorage.getItem('forecaster.token') ?? '',
  selected: null,
  ws: null,
  chart: null,
  // Chart columns for the selected stream: x (s), reading, forecast mean/lower/upper, alert marks.
  cols: [[], [], [], [], [], []],
  // The forecast made at the latest reading, for the reading that comes next.
  pending: null,
  alertTimes: new Set(),
  drawQueued: false,
};

// ---- API -------------------------------------------------------------------

async function api(path) {
  const headers = state.token === '' ? {} : { authorization: `Bearer ${state.token}` };
  const res = await fetch(path, { headers });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${path}: ${body.code ?? res.status} ${body.message ?? ''}`.trim());
  return body;
}

function showError(err) {
  const el = $('error');
  if (err === null) {
    el.hidden = true;
    return;
  }
  el.textContent = err instanceof Error ? err.message : String(err);
  el.hidden = false;
}

// ---- streams ---------------------------------------------------------------

async function loadStreams() {
  const text = $('search').value.trim();
  const glob = text === '' ? '' : /[*?[]/.test(text) ? text : `*${text}*`;
  const q = new URLSearchParams({ limit: '200' });
  if (glob !== '') q.set('search', glob);
  const { streams } = await api(`/api/v1/streams?${q}`);
  const list = $('streams');
  list.replaceChildren(
    ...streams.map((s) => {
      const li = document.createElement('li');
      li.textContent = s.key;
      li.title = s.key;
      li.dataset.key = s.key;
      li.setAttribute('aria-selected', String(s.key === state.selected));
      li.addEventListener('click', () => select(s.key));
      return li;
    }),
  );
  $('streams-count').textContent = `${streams.length}${streams.length === 200 ? '+' : ''} streams`;
  if (state.selected === null && streams.length > 0) await select(streams[0].key);
}

// ---- chart -----------------------------------------------------------------

function makeChart() {
  const el = $('chart');
  const opts = {
    width: Math.max(300, el.clientWidth),
    height: 320,
    scales: { x: { time: true } },
    legend: { live: false },
    series: [
      {},
      { label: 'reading', stroke: '#1f5fbf', width: 1.5 },
      { label: 'forecast', stroke: '#e8710a', width: 1.5, dash: [6, 4] },
      { label: 'lower', stroke: 'rgba(232,113,10,0.35)', width: 1 },
      { label: 'upper', stroke: 'rgba(232,113,10,0.35)', width: 1 },
      { label: 'alert', stroke: '#c5221f', paths: () => null, points: { show: true, size: 10, fill: '#c5221f' } },
    ],
    bands: [{ series: [4, 3], fill: 'rgba(232,113,10,0.14)' }],
  };
  state.chart = new uPlot(opts, state.cols, el);
  new ResizeObserver(() => state.chart.setSize({ width: Math.max(300, el.clientWidth), height: 320 })).observe(el);
}

function resetColumns() {
  state.cols = [[], [], [], [], [], []];
  state.pending = null;
  state.alertTimes = new Set();
}

/** Appends a reading and the forecast that was made for it (the one made at the reading before). */
function pushPoint(ts, value, prior) {
  const c = state.cols;
  const x = ts / 1000;
  c[0].push(x);
  c[1].push(value);
  c[2].push(prior?.mean ?? null);
  c[3].push(prior?.lower ?? null);
  c[4].push(prior?.upper ?? null);
  c[5].push(state.alertTimes.has(ts) ? value : null);
  if (c[0].length > KEEP_POINTS) for (const col of c) col.splice(0, col.length - KEEP_POINTS);
}

function markAlert(ts) {
  state.alertTimes.add(ts);
  const i = state.cols[0].lastIndexOf(ts / 1000);
  if (i >= 0) state.cols[5][i] = state.cols[1][i];
  draw();
}

function draw() {
  if (state.drawQueued) return;
  state.drawQueued = true;
  requestAnimationFrame(() => {
    state.drawQueued = false;
    state.chart.setData(state.cols);
    $('chart').dataset.points = String(state.cols[0].length);
    $('chart').dataset.alerts = String(state.cols[5].filter((v) => v !== null).length);
    const n = state.cols[0].length;
    if (n > 0) {
      $('chart-latest').textContent = `latest ${fmt(state.cols[1][n - 1])} at ${utc(state.cols[0][n - 1] * 1000)} UTC`;
    }
  });
}

async function select(key) {
  if (state.selected !== null) send({ type: 'unsubscribe', streams: [state.selected] });
  state.selected = key;
  for (const li of $('streams').children) li.setAttribute('aria-selected', String(li.dataset.key === key));
  $('chart-title').textContent = key;
  $('chart-latest').textContent = '';
  resetColumns();
  draw();
  send({ type: 'subscribe', streams: [key] });
  try {
    await loadHistory(key);
  } catch (err) {
    showError(err);
  }
}

/** The stream's recent past from the store, before the live feed takes over. */
async function loadHistory(key) {
  const { streams } = await api(`/api/v1/streams?${new URLSearchParams({ search: key.replace(/[*?[]/g, '[$&]'), limit: '1' })}`);
  const last = streams[0]?.lastSeen;
  if (last === undefined) return;
  const range = new URLSearchParams({ from: String(last - 24 * 3600_000), to: String(last), limit: '10000' });
  const path = `/api/v1/streams/${encodeURIComponent(key)}`;
  const [{ readings }, { forecasts }, { alerts }] = await Promise.all([
    api(`${path}/readings?${range}`),
    api(`${path}/forecasts?${range}&horizon=1`),
    api('/api/v1/alerts?limit=1000'),
  ]);
  if (state.selected !== key) return;
  const byMadeAt = new Map(forecasts.map((f) => [f.madeAt, f]));
  const live = state.cols;
  const liveAlerts = state.alertTimes;
  resetColumns();
  for (const ts of liveAlerts) state.alertTimes.add(ts);
  for (const a of alerts) if (a.stream === key) state.alertTimes.add(a.openedAt);
  let prior = null;
  for (const r of readings.slice(-KEEP_POINTS)) {
    pushPoint(r.ts, r.value, prior);
    prior = byMadeAt.get(r.ts) ?? null;
  }
  // Live points that arrived while the history loaded come after it.
  const lastTs = readings.length > 0 ? readings[readings.length - 1].ts : -Infinity;
  for (let i = 0; i < live[0].length; i++) {
    if (live[0][i] * 1000 > lastTs) pushPoint(live[0][i] * 1000, live[1][i], { mean: live[2][i], lower: live[3][i], upper: live[4][i] });
  }
  state.pending = prior;
  draw();
}

// ---- live feed -------------------------------------------------------------

function send(message) {
  if (state.ws?.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const q = state.token === '' ? '' : `?token=${encodeURIComponent(state.token)}`;
  const ws = new WebSocket(`${scheme}://${location.host}/feed${q}`);
  state.ws = ws;
  setConnection('connecting', 'connecting…');
  ws.addEventListener('open', () => {
    setConnection('live', 'live');
    if (state.selected !== null) send({ type: 'subscribe', streams: [state.selected] });
  });
  ws.addEventListener('message', (ev) => onMessage(JSON.parse(ev.data)));
  ws.addEventListener('close', (ev) => {
    if (state.ws !== ws) return;
    setConnection('error', ev.code === 1008 || ev.code === 4001 ? 'refused: check the token' : 'disconnected; retrying');
    setTimeout(connect, 2000);
  });
}

function setConnection(s, text) {
  const el = $('connection');
  el.dataset.state = s;
  el.textContent = text;
}

function onMessage(m) {
  if (m.type === 'forecasts') {
    for (const f of m.forecasts) {
      if (f.stream !== state.selected) continue;
      pushPoint(f.ts, f.value, state.pending);
      const p = f.points?.[0];
      state.pending = p === undefined ? null : { mean: p.mean, lower: p.lower, upper: p.upper };
    }
    draw();
  } else if (m.type === 'alerts') {
    for (const a of m.alerts) if (a.stream === state.selected && a.status === 'firing') markAlert(a.openedAt);
    void loadAlerts().catch(showError);
  } else if (m.type === 'training') {
    void loadStatus().catch(showError);
  }
}

// ---- alerts and status -----------------------------------------------------

async function loadAlerts() {
  const { alerts } = await api('/api/v1/alerts?limit=50');
  $('alerts').replaceChildren(
    ...alerts.map((a) => {
      const tr = document.createElement('tr');
      const status = a.resolvedAt === null ? 'firing' : 'resolved';
      tr.dataset.status = status;
      tr.dataset.severity = a.severity;
      tr.dataset.stream = a.stream;
      for (const text of [a.stream, a.kind, a.severity, utc(a.openedAt), status]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      tr.addEventListener('click', () => void select(a.stream));
      return tr;
    }),
  );
}

async function loadStatus() {
  const [s, m] = await Promise.all([api('/api/v1/status'), api('/api/v1/model')]);
  const e = s.engine;
  const live = m.checkpoints?.find((c) => c.version === s.modelVersion);
  const t = e.training;
  const training =
    t === null ? 'none since start'
    : t.phase === 'epoch' ? `running: epoch ${t.epoch}/${t.epochs}, held-back NLL ${fmt(t.validNll)}`
    : t.phase === 'done' ? `${t.promoted ? 'promoted' : 'kept live'} v${t.version} at ${t.at.slice(11, 19)} (NLL ${fmt(t.candidateNll)} vs ${fmt(t.liveNll)})`
    : `failed at ${t.at.slice(11, 19)}: ${t.code}`;
  const rows = [
    ['model', `v${s.modelVersion}${live?.createdAt ? ` (${utc(live.createdAt)} UTC)` : ''}`],
    ['model metrics', metricsText(live?.metrics)],
    ['last training', training],
    ['backend', `${s.backend} × ${s.threads} thread${s.threads === 1 ? '' : 's'}`],
    ['streams', s.streams.toLocaleString('en-US')],
    ['throughput', `${Math.round(e.readingsPerS).toLocaleString('en-US')} readings/s`],
    ['tick latency', e.tickP50Ms === null ? '—' : `p50 ${fmt(e.tickP50Ms)} ms · p99 ${fmt(e.tickP99Ms)} ms`],
  ];
  $('status').replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dd.dataset.field = k;
      return [dt, dd];
    }),
  );
}

/** Epoch ms as `YYYY-MM-DD hh:mm:ss` (UTC). */
function utc(ms) {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/** A checkpoint's numeric figures (validation NLL, epochs, …), not its provenance text. */
function metricsText(metrics) {
  if (metrics === null || typeof metrics !== 'object') return '—';
  const figures = Object.entries(metrics).filter(([k, v]) => typeof v === 'number' && k !== 'version');
  return figures.length === 0 ? '—' : figures.map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
}

function fmt(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e5) ? v.toExponential(2) : v.toFixed(a < 10 ? 3 : 1);
}

// ---- start -----------------------------------------------------------------

async function refresh() {
  try {
    await Promise.all([loadAlerts(), loadStatus()]);
    showError(null);
  } catch (err) {
    showError(err);
  }
}

function start() {
  $('token').value = state.token;
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.token = $('token').value.trim();
    localStorage.setItem('forecaster.token', state.token);
    state.ws?.close();
    connect();
    void loadStreams().catch(showError);
    void refresh();
  });
  let searchTimer = 0;
  $('search').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => void loadStreams().catch(showError), 200);
  });
  makeChart();
  connect();
  void loadStreams().catch(showError);
  void refresh();
  setInterval(refresh, POLL_MS);
}

start();
