// dashboard.test.js - drives the hub's corridor dashboard in headless
// Chromium (playwright-core, the system's /usr/bin/chromium). Started by
// run.sh, which sets up the corridor and passes it in the environment.
// Checks: no console error; the nodes and links of the corridor are drawn,
// and no peer known only for its keys (BF's CI) is drawn or shown down;
// the corridor table shows CI's corridor; the hub lists CI's discrepancy;
// BF stopped -> its link turns down and the hub's queue number rises by
// what was sent; BF restarted -> the number falls to 0; an MRN search shows
// the journey office by office. Exit 0 on success, 1 with a reason.
'use strict';

const { chromium } = require('playwright-core');
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const env = process.env;
const T0 = Date.now();
function log(msg) { console.log(`[dashboard ${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}`); }
function fail(msg) { throw new Error(msg); }
const ATTACHED = { state: 'attached' };  // SVG lines may have an empty box
function sleep(ms) { return new Promise(r => setTimeout(r, ms)); }

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sigmat-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  // While BF is stopped on purpose, the browser's fetches of BF's monitor
  // are refused, and Chromium logs each one: expected, not a page error.
  let bfDown = false;
  const note = e => { if (!(bfDown && /ERR_CONNECTION_REFUSED/.test(e))) errors.push(e); };
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('console', m => { if (m.type() === 'error') note('console: ' + m.text()); });
    page.on('pageerror', e => errors.push('page error: ' + e.message));
    page.on('requestfailed', r => note('request failed: ' + r.url() + ' ' + (r.failure() || {}).errorText));
    page.setDefaultTimeout(20000);

    await page.goto(`${env.SG_HUB_URL}/?token=${encodeURIComponent(env.TOKEN)}`);
    await page.waitForSelector('#node-name:text("hub")');
    for (const n of ['hub', 'CI', 'BF'])
      await page.waitForSelector(`#graph g.node[data-node="${n}"]`, ATTACHED);
    for (const l of ['CI', 'BF'])
      await page.waitForSelector(`#graph path.edge[data-link="${l}"].ok`, ATTACHED);
    // the peers' own views, fetched from their monitors by the browser
    await page.waitForSelector('#graph path.edge[data-link="CI:ci-adapter"]', ATTACHED);
    await page.waitForSelector('#graph path.edge[data-link="BF:bf-adapter"]', ATTACHED);
    await page.waitForSelector('#graph g.node.adapter[data-node="ci-adapter"]', ATTACHED);
    await page.waitForSelector('#links tr[data-link="BF"] td.depth:text-is("0")');
    log('corridor drawn: hub, CI, BF and their links');
    // BF knows CI only to check its signatures (no endpoint, no route):
    // not a link, so neither drawn nor down.
    if (await page.$('#graph path.edge[data-link="BF:CI"]')) fail('BF\'s key-only peer CI is drawn as a link');
    // Down only when it should be up: bf-adapter is (messages wait for it
    // and no adapter is connected in this test, once they have reached BF
    // through the hub); nothing else is.
    await page.waitForSelector('#graph path.edge.down[data-link="BF:bf-adapter"]', ATTACHED);
    const downs = await page.$$eval('#graph path.edge.down', es => es.map(e => e.dataset.link));
    if (downs.join(',') !== 'BF:bf-adapter') fail('links shown down: ' + downs.join(', ') + ' (expected BF:bf-adapter only)');
    // The corridor table (gathered from CI's monitor by the hub) and the
    // region's late movements.
    const row = '#corridors tr[data-corridor="CI000101>BF000101"]';
    await page.waitForSelector(`${row} td.released:text-is("2")`);
    await page.waitForSelector(`${row} td.discharged:text-is("1")`);
    await page.waitForSelector(`${row} td.discrepancy:text-is("1")`);
    await page.waitForSelector(`${row} td.ra:text-is("19.0 h")`);
    await page.waitForSelector(`${row} svg.days rect`, ATTACHED);
    await page.waitForSelector('#late tr[data-mrn="26CI00000000000D22"][data-state="DISCREPANCY"]');
    await page.waitForSelector('#discrepancy b:text-is("1")');
    log('corridor table and the region\'s discrepancy shown');

    // BF goes down: its link turns red and the hub's queue for it rises.
    bfDown = true;
    process.kill(Number(env.SG_BF_PID), 'SIGTERM');
    await page.waitForSelector('#graph path.edge[data-link="BF"].down', ATTACHED);
    await page.waitForSelector('#links tr[data-link="BF"] .health .pill:text-is("down")');
    await page.waitForSelector('#corridor-note:has-text("unreachable")');
    log('BF shown down');
    const send = spawnSync(env.SGTEST, env.SG_SEND_ARGS.split(' '), { encoding: 'utf8' });
    if (send.status !== 0) fail('sgtest send failed: ' + send.stderr);
    await page.waitForSelector('#links tr[data-link="BF"] td.depth:text-is("30")');
    await page.waitForSelector('#graph g.badge[data-link="BF"] text:text-is("30")', ATTACHED);
    log('queue for BF rose to 30');
    await sleep(1500);   // a few sparkline samples
    if (env.SG_SCREENSHOT) {
      await page.screenshot({ path: env.SG_SCREENSHOT, fullPage: true });
      log('screenshot ' + env.SG_SCREENSHOT);
    }

    // BF comes back: the queue drains and the link is green again.
    const bf = spawn(env.SIGMATD, ['-c', env.SG_BF_CONF], {
      stdio: ['ignore', fs.openSync(path.join(env.SG_DIR, 'BF.log'), 'a'), fs.openSync(path.join(env.SG_DIR, 'BF.log'), 'a')],
      detached: true,
    });
    fs.writeFileSync(path.join(env.SG_DIR, 'bf2.pid'), String(bf.pid));
    bf.unref();
    await page.waitForSelector('#links tr[data-link="BF"] td.depth:text-is("0")', { timeout: 30000 });
    await page.waitForSelector('#graph path.edge[data-link="BF"].ok', ATTACHED);
    await page.waitForSelector('#graph path.edge[data-link="BF:bf-adapter"]', ATTACHED);
    await sleep(2000);   // fetches started while BF was down have ended
    bfDown = false;
    log('queue for BF back to 0, link up');

    // The journey of an MRN, office by office.
    await page.fill('#mrn', env.MRN);
    await page.click('#search button');
    await page.waitForSelector('#journey-panel:not([hidden])');
    await page.waitForSelector('#journey .office[data-office="CI000101"]');
    await page.waitForSelector('#journey .office[data-office="BF000101"]');
    await page.waitForSelector('#journey .step[data-type="AAR"]');
    const text = await page.textContent('#journey');
    if (!/to BF: done/.test(text)) fail('journey does not show the delivery to BF: ' + text);
    log('journey of ' + env.MRN + ' shown');

    // Nothing unknown: a search for an MRN the node never saw says so.
    await page.fill('#mrn', '99XX000000000000X0');
    await page.click('#search button');
    await page.waitForSelector('#journey-empty');

    // The same page in French, by ?lang=fr (or the browser's language).
    await page.goto(`${env.SG_HUB_URL}/?token=${encodeURIComponent(env.TOKEN)}&lang=fr`);
    await page.waitForSelector('#links-panel h2:text-is("Liaisons")');
    await page.waitForSelector('#status:has-text("en direct")');
    if ((await page.getAttribute('html', 'lang')) !== 'fr') fail('the page does not say it is in French');
    log('dashboard in French');

    if (errors.length) fail('browser errors:\n' + errors.join('\n'));
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => { log('PASS'); process.exit(0); },
  e => { console.error('FAIL: dashboard: ' + e.message); process.exit(1); });
