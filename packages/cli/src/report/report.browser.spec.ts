// Opens a generated report in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; never a downloaded browser). CI installs chromium in .ci/run; on a machine
// without it the test is skipped with a message saying so.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ARTIFACTS, copyFixture } from '../testing/fixtures';
import { writeExperimentSummary } from './experiment-fixture';
import { writeReport } from './render-report';

const CHROMIUM = process.env.APOGEE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the report browser test: no Chromium at ${CHROMIUM} (install Debian's "chromium" or set APOGEE_CHROMIUM).`);
}

(haveChromium ? describe : describe.skip)('report.html in headless Chromium', () => {
  it('renders every chart as SVG with no console errors, and saves a screenshot', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const run = copyFixture('quickstart-run');
    const profile = mkdtempSync(path.join(tmpdir(), 'apogee-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      offline: true, // the page must need no network
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const file = await writeReport(run.dir);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      const charts = await page.$$eval('figure.chart', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            id: f.id,
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks: svg ? svg.querySelectorAll('path, line, rect, circle').length : 0,
            texts: svg ? [...svg.querySelectorAll('text')].map((t) => t.textContent ?? '') : [],
          };
        }),
      );
      expect(charts.map((c) => c.id)).toEqual(['chart-gold', 'chart-proxy', 'chart-rm-accuracy', 'chart-reliability', 'chart-kl', 'chart-length', 'chart-loss']);
      for (const c of charts) {
        expect(c.width).toBeGreaterThan(100);
        expect(c.height).toBeGreaterThan(100);
        expect(c.marks).toBeGreaterThan(10);
      }
      expect(charts[0].texts).toEqual(expect.arrayContaining(['Gold reward per round', 'round', 'gold reward']));
      expect(await page.locator('table.results tbody tr').count()).toBe(7);
      expect(await page.locator('table.samples').isVisible()).toBe(true);
      expect(problems).toEqual([]);

      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      run.cleanup();
    }
  });

  it('shows the claims table first and the frontier and best-of-n charts, with no console errors', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium } = require('playwright-core') as typeof import('playwright-core');
    const run = copyFixture('quickstart-run');
    const profile = mkdtempSync(path.join(tmpdir(), 'apogee-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      offline: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const { claims } = writeExperimentSummary(run.dir);
      const file = await writeReport(run.dir);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      // The claims table is the first table on the page and sits above the charts.
      expect(await page.locator('table').first().getAttribute('class')).toBe('claims');
      const rows = await page.$$eval('table.claims tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => (c.textContent ?? '').trim())));
      expect(rows.map((r) => r[0])).toEqual(claims.map((c) => c.id));
      expect(rows[0].slice(4)).toEqual(['9/10', '0.0215', 'supported']);
      const claimsBox = await page.locator('table.claims').boundingBox();
      const frontierBox = await page.locator('#chart-frontier svg').boundingBox();
      expect(claimsBox!.y).toBeLessThan(frontierBox!.y);

      const charts = await page.$$eval('figure.chart', (figs) =>
        figs.slice(0, 2).map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return { id: f.id, width: box?.width ?? 0, height: box?.height ?? 0, marks: svg ? svg.querySelectorAll('path, line, rect, circle').length : 0, texts: svg ? [...svg.querySelectorAll('text')].map((t) => t.textContent ?? '') : [] };
        }),
      );
      expect(charts.map((c) => c.id)).toEqual(['chart-frontier', 'chart-best-of-n']);
      for (const c of charts) {
        expect(c.width).toBeGreaterThan(100);
        expect(c.height).toBeGreaterThan(100);
        expect(c.marks).toBeGreaterThan(10);
      }
      expect(charts[0].texts).toEqual(expect.arrayContaining(['Gold vs KL: the frontier per arm', 'held-out gold', 'oracle', 'rjs']));
      expect(charts[1].texts).toEqual(expect.arrayContaining(['Best-of-n selected gold per RM', 'RM_Base', 'RM_APO', 'gold']));
      expect(problems).toEqual([]);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'report-claims.png'), fullPage: true });
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      run.cleanup();
    }
  });
});
