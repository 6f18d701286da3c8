// The README's report image: render a run directory's report.html in Debian's headless Chromium
// (playwright-core, no downloaded browser) and save the top of the page as a PNG.
//   npx tsx --tsconfig bench/tsconfig.json --conditions=@apogee/source tools/report-screenshot.ts <run-dir> <out.png> [height=2400]
import 'reflect-metadata';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { writeReport } from '../packages/cli/src/report/render-report';

async function main() {
  const [dir, out, h] = process.argv.slice(2);
  if (!dir || !out) throw new Error('usage: tools/report-screenshot.ts <run-dir> <out.png> [height]');
  const file = await writeReport(dir);
  const profile = mkdtempSync(path.join(tmpdir(), 'apogee-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.APOGEE_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: Number(h ?? 2400) },
    offline: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const tmp = `${out}.tmp.png`;
    await page.screenshot({ path: tmp, fullPage: false });
    renameSync(tmp, out);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
