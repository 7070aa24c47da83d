// E2E: the supervising psychiatrist's queue in the provider console, in a
// real Chromium against a real telehealthd. Her physician assistant's order
// waits for her co-signature; his stop took effect at once and waits for her
// acknowledgement; a co-signature the server refuses (the order it would
// replace was stopped meanwhile) is shown in its words and the order stays
// until she declines it with a reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { startServer, fetchJson, requireEnv, launchParticipant, openConsole, waitFor } from './lib.mjs';

const { bin, root } = requireEnv();
let server;
let provider;

before(async () => {
  server = await startServer();
  provider = await launchParticipant('provider');
});

after(async () => {
  if (provider) await provider.close();
  if (server) await server.stop();
});

test("the supervisor co-signs, declines and acknowledges her PA's orders from the console", async () => {
  const psy = await server.login();
  const call = (p, o = {}) => fetchJson(`${server.baseUrl}${p}`, { session: psy, ...o });
  const me = (await call('/api/me')).json;
  const r = spawnSync(bin, ['--config', path.join(root, 'config', 'telehealth.conf'), '--data-dir', server.dataDir,
    'admin', 'add-staff', '--username', 'pat.assistant', '--name', 'Pat Assistant', '--role', 'pa', '--supervisor', me.staff_id],
  { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  const acct = JSON.parse(r.stdout.trim().split('\n').pop());
  const pa = await server.login(acct.username, acct.password);
  const adjust = async (visit, body) => {
    const res = await call(`/api/visits/${visit}/adjustments`, { session: pa, method: 'POST', body });
    assert.equal(res.status, 201, res.text);
    return res.json.order;
  };
  const visit = (await call('/api/visits', { session: pa, method: 'POST', body: { patient_name: 'Jordan Lee' } })).json.visit_id;
  const escitalopram = await adjust(visit, { kind: 'start', medication: 'escitalopram', dose: 10, frequency: 'once-daily', reason: 'Depression' });
  assert.equal((await call(`/api/orders/${escitalopram.id}/cosign`, { method: 'POST' })).status, 200);
  await adjust(visit, { kind: 'stop', order_id: escitalopram.id, reason: 'Rash on both arms' });
  const buspirone = await adjust(visit, { kind: 'start', medication: 'buspirone', dose: 10, frequency: 'twice-daily', reason: 'Anxiety' });
  assert.equal((await call(`/api/orders/${buspirone.id}/cosign`, { method: 'POST' })).status, 200);
  const change = await adjust(visit, { kind: 'change-dose', order_id: buspirone.id, dose: 15, frequency: 'twice-daily', reason: 'Partial response' });
  await adjust(visit, { kind: 'stop', order_id: buspirone.id, reason: 'Dizziness' });
  const sertraline = await adjust(visit, { kind: 'start', medication: 'sertraline', dose: 50, frequency: 'once-daily', reason: 'Depression' });

  const { page } = provider;
  await page.setViewportSize({ width: 390, height: 844 });
  await openConsole(provider, server.demo.provider_url, server.providerLogin);
  const queue = page.locator('[data-testid="review"]');
  await queue.waitFor({ state: 'visible' });
  // On the first screen of a phone: the queue is what she must act on.
  const box = await queue.boundingBox();
  assert.ok(box && box.y < 844, `the queue starts on the first screen (y=${box && box.y})`);
  const item = (id) => page.locator(`[data-testid="review-${id}"]`);
  const stopItem = page.locator(`[data-testid="review-stop-${escitalopram.id}"]`);
  assert.match(await item(sertraline.id).innerText(), /Sertraline tablet 50 mg once daily, oral[\s\S]*Written by Pat Assistant/);
  assert.match(await stopItem.innerText(), /Escitalopram tablet 10 mg once daily, oral[\s\S]*stopped[\s\S]*Stopped by your PA Pat Assistant[\s\S]*Rash on both arms/);

  // Acknowledge the stop: it leaves the queue.
  await page.click(`[data-testid="review-ack-${escitalopram.id}"]`);
  await stopItem.waitFor({ state: 'detached' });

  // Co-sign the start: it leaves the queue and is in effect.
  await page.click(`[data-testid="review-cosign-${sertraline.id}"]`);
  await item(sertraline.id).waitFor({ state: 'detached' });
  assert.equal((await call(`/api/orders/${sertraline.id}/cosign`, { method: 'POST' })).status, 422, 'already co-signed');

  // The change of a stopped order: refused in words, still there; declined.
  await page.click(`[data-testid="review-cosign-${change.id}"]`);
  const alert = item(change.id).locator('[role="alert"]');
  await alert.waitFor({ state: 'visible' });
  assert.match(await alert.innerText(), /^This change cannot take effect: the buspirone order it would replace \(10 mg twice daily\) was stopped on .* by Pat Assistant\. Nothing was co-signed;/);
  await page.click(`[data-testid="review-decline-${change.id}"]`);
  await page.click(`[data-testid="review-decline-confirm-${change.id}"]`);
  assert.match(await alert.innerText(), /Give the reason/);
  await page.fill(`[data-testid="review-decline-reason-${change.id}"]`, 'Buspirone was stopped for dizziness');
  await page.click(`[data-testid="review-decline-confirm-${change.id}"]`);
  await item(change.id).waitFor({ state: 'detached' });
  // His stop of buspirone is the last item: acknowledged, the queue hides.
  assert.match(await page.locator(`[data-testid="review-stop-${buspirone.id}"]`).innerText(), /Dizziness/);
  await page.click(`[data-testid="review-ack-${buspirone.id}"]`);
  await waitFor(async () => !(await queue.isVisible()), { what: 'the empty queue to hide' })
    .catch(async (err) => { throw new Error(`${err.message}: ${await queue.innerText()}`); });
  const pending = (await call('/api/orders/pending')).json;
  assert.deepEqual([pending.orders.length, pending.stops_to_acknowledge.length], [0, 0]);
  const rec = (await call(`/api/visits/${visit}/record`, { session: pa })).json;
  assert.equal(rec.orders.find((o) => o.id === change.id).status, 'declined');
  assert.deepEqual(provider.pageErrors, []);
});
