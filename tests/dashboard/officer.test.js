// officer.test.js - the officer screen of sigmat-asycuda in headless
// Chromium (playwright-core, /usr/bin/chromium). Started by officer.sh,
// which passes the two adapters (BF destination, CI departure) in the
// environment. Checks: the screen opens in French; the movement is listed
// as expected at Ouagadougou with its seals and plate; the arrival recorded
// through the form is accepted; the departure office's screen then shows
// the movement ARRIVED (in French: "arrivé"); a refused call shows the
// API's error in French; the switch turns the screen into English.
'use strict';

const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const env = process.env;
const T0 = Date.now();
function log(msg) { console.log(`[officer ${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}`); }
function fail(msg) { throw new Error(msg); }

async function login(page, url, office, token) {
  await page.goto(url + '/', { waitUntil: 'load' });
  await page.fill('#office', office);
  await page.fill('#token', token);
  await page.click('#connect');
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sigmat-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    locale: 'fr-FR',
    viewport: { width: 390, height: 844 },      // a phone at a border post
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('pageerror', e => errors.push('page error: ' + e.message));
    page.on('console', m => {
      // the refused call on purpose logs a 409 in the console
      if (m.type() === 'error' && !/status of 40[49]/.test(m.text())) errors.push('console: ' + m.text());
    });

    // 1. French by default, the movement expected at Ouagadougou.
    await login(page, env.BF_URL, 'BFOU1', env.BF_TOKEN);
    if ((await page.getAttribute('html', 'lang')) !== 'fr') fail('the screen is not in French');
    const h1 = await page.textContent('h1');
    if (h1 !== 'Poste de douane') fail(`title "${h1}" is not French`);
    const row = page.locator(`#expected tbody tr[data-mrn="${env.MRN}"]`);
    await row.waitFor({ timeout: 15000 });
    const text = await row.textContent();
    if (!/attendu/.test(text)) fail(`row does not say "attendu": ${text}`);
    if (!text.includes(env.SEAL)) fail(`row lacks the seal ${env.SEAL}: ${text}`);
    if (!text.includes(env.PLATE)) fail(`row lacks the plate ${env.PLATE}: ${text}`);
    log('expected list in French with seals and plate');

    // 2. A control before the arrival: the API refuses it, in French.
    await row.click();
    await page.waitForSelector('#detail:not([hidden])');
    await page.selectOption('#action', 'control');
    await page.click('#submit');
    await page.locator('#message.err').waitFor({ timeout: 15000 });
    const err = await page.textContent('#message');
    if (!/le mouvement|doit|avant|arrivée/i.test(err)) fail(`error not in French: ${err}`);
    log(`refusal shown in French: ${err}`);

    // 3. The arrival through the form.
    await page.selectOption('#action', 'arrival');
    await page.fill('#f-location', 'Magasin sous douane, Ouaga Inter');
    await page.click('#submit');
    await page.locator('#message.ok', { hasText: 'Enregistré' }).waitFor({ timeout: 15000 });
    log('arrival recorded: ' + await page.textContent('#message'));

    // 4. The departure office's screen: the movement is ARRIVED.
    const dep = await ctx.newPage();
    dep.on('pageerror', e => errors.push('page error (CI): ' + e.message));
    await login(dep, env.CI_URL, 'CIAB1', env.CI_TOKEN);
    let seen = '';
    for (let i = 0; i < 75 && !/arrivé/.test(seen); i++) {
      await dep.fill('#mrn', env.MRN);
      await dep.click('#search button');
      await dep.waitForSelector('#detail:not([hidden])');
      seen = await dep.textContent('#d-info');
      if (!/arrivé/.test(seen)) await new Promise(r => setTimeout(r, 200));
    }
    if (!/arrivé/.test(seen)) fail(`the departure view did not turn ARRIVED: ${seen}`);
    log('departure view: arrivé');

    // 5. The switch: English.
    await page.click('#lang-en');
    if ((await page.textContent('h1')) !== 'Customs post') fail('the switch did not turn the screen into English');
    if ((await page.getAttribute('html', 'lang')) !== 'en') fail('html lang is not en after the switch');
    log('switched to English');
    // 6. sigmat-generic's screen: French, its problem title in French.
    const gen = await ctx.newPage();
    gen.on('pageerror', e => errors.push('page error (generic): ' + e.message));
    await login(gen, env.GEN_URL, 'BF000101', env.BF_TOKEN);
    if ((await gen.textContent('h1')) !== 'Poste de douane') fail('the generic screen is not in French');
    await gen.locator('#expected tbody td', { hasText: 'Aucun mouvement attendu' }).waitFor({ timeout: 15000 });
    await gen.fill('#mrn', env.MRN);
    await gen.click('#search button');
    await gen.locator('#message.err', { hasText: 'Mouvement inconnu' }).waitFor({ timeout: 15000 });
    log('sigmat-generic screen: ' + await gen.textContent('#message'));

    if (env.SG_SCREENSHOT) { await page.bringToFront(); await page.screenshot({ path: env.SG_SCREENSHOT, fullPage: true }); }
    if (errors.length) fail('errors in the page: ' + errors.join('; '));
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => { log('PASS'); process.exit(0); },
  e => { console.error(`[officer] FAIL: ${e.message}`); process.exit(1); });
