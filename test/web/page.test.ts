/// <reference lib="dom" />
// (the functions given to waitForFunction run in the page)
import { existsSync, mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type Service, startService } from '../../src/serve/service.ts';
import { tempDir } from '../support/tempDir.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FEED = 'feed-token-page-0123456789';
const INGEST = 'ingest-token-page-0123456789';
const SCREENSHOT_DIR = 'results/screenshots';
const tmp = tempDir('forecaster-page');
let service: Service;
let browser: Browser;
let page: Page;

/** Chromium flags for this closed network: no background connections, no sandbox as root. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// CI installs Chromium (.ci/run), so there the test always runs; elsewhere it needs Debian's chromium.
describe.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')('the web page, in headless Chromium', () => {
  beforeAll(async () => {
    const config = loadConfig(
      {
        store: { path: tmp.path('page.db') },
        statsIntervalS: 0,
        simulator: { streams: 12, tickMs: 100, anomalyRate: 0 },
        server: { port: 0, tokens: [{ token: FEED, scopes: ['feed'] }, { token: INGEST, scopes: ['ingest'] }] },
      },
      {},
    );
    service = await startService(config, pino({ level: 'silent' }), { simulate: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
    tmp.remove();
  });

  it('loads, charts a simulated stream live, shows an injected anomaly as an alert, and is captured', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${service.url}/?token=${FEED}`);

    // The streams list fills from the API with the simulator's streams, and the first is charted.
    await page.locator('#streams li').first().waitFor();
    expect(await page.locator('#streams li').count()).toBeGreaterThanOrEqual(12);
    await page.locator('#connection[data-state="live"]').waitFor();
    const points = async () => Number(await page.locator('#chart').getAttribute('data-points'));
    await page.waitForFunction(() => Number(document.querySelector('#chart')?.getAttribute('data-points')) > 0);
    const before = await points();
    // Live: new readings arrive over the feed and the chart grows without a reload.
    await page.waitForFunction((n) => Number(document.querySelector('#chart')?.getAttribute('data-points')) > n + 3, before, { timeout: 15_000 });
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);

    // Engine and model status come from the API.
    await page.waitForFunction(() => /readings\/s/.test(document.querySelector('[data-field="throughput"]')?.textContent ?? ''));
    expect(await page.locator('[data-field="backend"]').textContent()).toMatch(/wasm|cpu|tensorflow/);

    // An anomaly: a calm stream of 150 readings, then a reading far outside its forecast.
    const t0 = Date.UTC(2026, 10, 1);
    const calm = Array.from({ length: 150 }, (_, i) => ({ stream: 'page/injected', ts: t0 + i * 60_000, value: 20 + Math.sin(i / 5) }));
    const spike = { stream: 'page/injected', ts: t0 + 150 * 60_000, value: 500 };
    for (const batch of [calm, [spike]]) {
      const res = await fetch(`${service.url}/api/v1/readings`, { method: 'POST', headers: { authorization: `Bearer ${INGEST}`, 'content-type': 'application/json' }, body: JSON.stringify(batch) });
      expect(res.status).toBe(200);
    }
    const row = page.locator('#alerts tr[data-stream="page/injected"]');
    await row.first().waitFor({ timeout: 15_000 });
    expect(await row.first().getAttribute('data-status')).toBe('firing');

    // Clicking the alert charts its stream, with the alert marked at the spike.
    await row.first().click();
    await page.waitForFunction(() => document.querySelector('#chart-title')?.textContent === 'page/injected');
    await page.waitForFunction(() => Number(document.querySelector('#chart')?.getAttribute('data-points')) >= 151);
    // The alert is marked on the chart at the spike.
    await page.waitForFunction(() => document.querySelector('#chart')?.getAttribute('data-alerts') === '1');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/page.png` });
    expect(existsSync(`${SCREENSHOT_DIR}/page.png`)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('refuses to show data without a valid token', async () => {
    const fresh = await browser.newPage();
    await fresh.goto(`${service.url}/?token=not-a-valid-token-at-all`);
    await fresh.locator('#error:not([hidden])').waitFor();
    expect(await fresh.locator('#error').textContent()).toMatch(/FC_ERR_AUTH/);
    expect(await fresh.locator('#streams li').count()).toBe(0);
    await fresh.close();
  });
});
