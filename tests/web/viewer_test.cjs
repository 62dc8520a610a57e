// The viewer in a real browser: Debian's chromium driven by puppeteer-core (never a downloaded
// browser). node viewer_test.cjs URL NODE_MODULES ARTEFACT_DIR
// Checks: tiles load; a map click opens the chart; a chart click changes the date and the tile
// URLs; the box tool shows areas and change; the place box moves the map; no request leaves the
// server's origin; no page error. Screenshots go to ARTEFACT_DIR.
'use strict';
const path = require('path');
const fs = require('fs');
const [url, nodeModules, artefacts] = process.argv.slice(2);
const puppeteer = require(path.join(nodeModules, 'puppeteer-core'));

const origin = new URL(url).origin;
const failures = [];
const fail = (m) => { failures.push(m); console.error('FAIL: ' + m); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(page, fn, what, timeout = 20000, ...args) {
  try {
    await page.waitForFunction(fn, { timeout, polling: 100 }, ...args);
    return true;
  } catch (e) {
    fail(`timed out waiting for ${what}`);
    return false;
  }
}

(async () => {
  fs.mkdirSync(artefacts, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // As root (CI containers) chromium needs --no-sandbox; small /dev/shm needs --disable-dev-shm-usage.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const requests = [];
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    const u = r.url();
    requests.push(u);
    if (u.startsWith(origin + '/') || u.startsWith('data:') || u.startsWith('blob:')) r.continue();
    else { fail('request leaving ' + origin + ': ' + u); r.abort(); }
  });
  page.on('pageerror', (e) => fail('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') fail('console error: ' + m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) fail(`HTTP ${r.status()} for ${r.url()}`); });

  await page.goto(url, { waitUntil: 'load' });
  await waitFor(page, () => document.body.dataset.ready === '1', 'the viewer to start');
  const dates = await page.evaluate(() => fetch('/api/v1/dates').then((r) => r.json()));
  const first = dates.dates[0].id;

  // 1. Tiles load, for the first date's label layer, and are not empty images.
  await waitFor(page, () => document.querySelectorAll('img.leaflet-tile-loaded').length > 0, 'tiles to load');
  const tileSrcs = await page.$$eval('img.leaflet-tile-loaded', (els) => els.map((e) => e.src));
  if (!tileSrcs.some((s) => s.includes(`/api/v1/tiles/${first}/label/`))) fail('no label tile of ' + first + ': ' + tileSrcs[0]);
  await page.screenshot({ path: path.join(artefacts, '1-tiles.png') });

  // 2. A click on the map's centre opens the chart of the 9 probabilities.
  const box = await (await page.$('#map')).boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  await page.mouse.click(cx, cy);
  await waitFor(page, () => !document.getElementById('point').hidden && document.querySelector('#chart .u-over'), 'the chart');
  const shown = await page.$eval('#chart', (e) => [Number(e.dataset.series), Number(e.dataset.dates)]);
  if (shown[0] !== 9 || shown[1] !== dates.dates.length) fail(`the chart shows ${shown[0]} classes over ${shown[1]} dates`);
  const lines = await page.$$eval('#chart canvas', (els) => els.length);
  if (lines < 1) fail('the chart has no canvas');
  const csv = await page.$eval('#csv', (a) => a.href);
  if (!csv.includes('f=csv')) fail('CSV link: ' + csv);
  const csvText = await page.evaluate((u) => fetch(u).then((r) => r.text()), csv);
  if (csvText.trim().split('\n').length !== dates.dates.length + 1) fail('CSV rows: ' + csvText);
  await page.screenshot({ path: path.join(artefacts, '2-chart.png') });

  // 3. A click near the chart's right end moves the map to the last date: slider and tile URLs.
  const over = await (await page.$('#chart .u-over')).boundingBox();
  await page.mouse.move(over.x + over.width - 2, over.y + over.height / 2);
  await sleep(200);
  await page.mouse.click(over.x + over.width - 2, over.y + over.height / 2);
  const last = dates.dates[dates.dates.length - 1].id;
  await waitFor(page, (d) => document.getElementById('date-label').value === d, 'the date to change to ' + last, 10000, last);
  await waitFor(page, (d) => [...document.querySelectorAll('img.leaflet-tile')].some((e) => e.src.includes(`/tiles/${d}/`)),
    'tile URLs of ' + last, 10000, last);
  await page.screenshot({ path: path.join(artefacts, '3-chart-click.png') });

  // 4. The box tool: drag a box, read area per class and the change.
  await page.click('#box-tool');
  await page.mouse.move(cx - 120, cy - 90);
  await page.mouse.down();
  await page.mouse.move(cx, cy, { steps: 5 });
  await page.mouse.move(cx + 120, cy + 90, { steps: 5 });
  await page.mouse.up();
  await waitFor(page, () => !document.getElementById('box').hidden && document.querySelectorAll('#areas tbody tr').length === 10,
    'the areas table');
  const areas = await page.$$eval('#areas tbody td.num', (els) => els.map((e) => Number(e.textContent)));
  const total = areas.reduce((a, b) => a + b, 0);
  if (!(total > 0)) fail('the box has no area: ' + areas.join(','));
  const summary = await page.$eval('#change-summary', (e) => e.textContent);
  if (!summary.startsWith('changed:')) fail('change summary: ' + summary);
  await page.screenshot({ path: path.join(artefacts, '4-box.png') });

  // 5. The layer switch: top1 and a probability layer change the tile URLs.
  await page.select('#layer', 'prob/water');
  await waitFor(page, () => [...document.querySelectorAll('img.leaflet-tile')].some((e) => e.src.includes('/prob/water/')), 'prob/water tiles');
  await page.screenshot({ path: path.join(artefacts, '5-prob-water.png') });

  // The true-colour layer of the scenes predict read.
  await page.select('#layer', 'rgb');
  await waitFor(page, () => [...document.querySelectorAll('img.leaflet-tile-loaded')].some((e) => e.src.includes('/rgb/')), 'rgb tiles');
  await page.screenshot({ path: path.join(artefacts, '5-rgb.png') });

  // The play button steps through the dates; a second press stops it.
  const before = await page.$eval('#date-label', (e) => e.value);
  await page.click('#play');
  await waitFor(page, (d) => document.getElementById('date-label').value !== d, 'the timelapse to advance', 5000, before);
  await page.click('#play');
  const stopped = await page.$eval('#date-label', (e) => e.value);
  await sleep(1500);
  if ((await page.$eval('#date-label', (e) => e.value)) !== stopped) fail('the timelapse did not stop');

  // The date range: a start after the shown date (the first, set by the slider) moves the map into
  // the range.
  await page.evaluate(() => {
    const s = document.getElementById('date-slider');
    s.value = '0';
    s.dispatchEvent(new Event('input'));
  });
  if ((await page.$eval('#date-label', (e) => e.value)) !== dates.dates[0].date) fail('the slider did not move to the first date');
  await page.evaluate((d) => {
    const s = document.getElementById('start');
    s.value = d;
    s.dispatchEvent(new Event('change'));
  }, dates.dates[dates.dates.length - 1].date);
  await waitFor(page, (d) => document.getElementById('date-label').value === d, 'the date range to apply', 5000,
    dates.dates[dates.dates.length - 1].date);

  // 6. The place box: coordinates move the map.
  await page.click('#place', { clickCount: 3 });
  await page.type('#place', '10.5, 20.25');
  await page.keyboard.press('Enter');
  // The map moved there: tiles of zoom >= 12 around lon 20.25 are asked for.
  await waitFor(page, () => [...document.querySelectorAll('img.leaflet-tile')].some((e) => {
    const m = e.src.match(/\/(\d+)\/(\d+)\/(\d+)\.png$/);
    return m && Number(m[1]) >= 12 && Math.abs(Number(m[2]) - Math.floor((20.25 + 180) / 360 * 2 ** Number(m[1]))) <= 3;
  }), 'tiles at the place typed');
  // And a name from the gazetteer.
  await page.click('#place', { clickCount: 3 });
  await page.type('#place', 'Nairobi');
  await page.keyboard.press('Enter');
  await waitFor(page, () => [...document.querySelectorAll('img.leaflet-tile')].some((e) => {
    const m = e.src.match(/\/(\d+)\/(\d+)\/(\d+)\.png$/);
    return m && Math.abs(Number(m[2]) - Math.floor((36.8219 + 180) / 360 * 2 ** Number(m[1]))) <= 2;
  }), 'tiles at Nairobi');
  await page.screenshot({ path: path.join(artefacts, '6-place.png') });

  // The timelapse link of the view: a GIF.
  const gif = await page.$eval('#gif', (a) => a.href);
  const gifHead = await page.evaluate((u) => fetch(u).then(async (r) => [r.status, r.headers.get('content-type')]), gif);
  if (gifHead[0] !== 200 || gifHead[1] !== 'image/gif') fail('timelapse link ' + gif + ': ' + gifHead.join(' '));

  if (!requests.some((u) => u.includes('/api/v1/statistics'))) fail('no statistics request was made');
  await browser.close();
  fs.writeFileSync(path.join(artefacts, 'requests.txt'), requests.join('\n') + '\n');
  if (failures.length) {
    console.error(`${failures.length} failure(s)`);
    process.exit(1);
  }
  console.log(`viewer test passed: ${requests.length} requests, all to ${origin}; screenshots in ${artefacts}`);
})().catch((e) => { console.error(e); process.exit(1); });
