// Browser end-to-end test of buying credits against the real `storyloom serve --auth accounts`:
// the first account (the instance admin) finds no gateway and turns the sandbox on from the
// Credits page, buys ¥10 of credits (typed as an amount) through the sandbox, opens the sandbox's
// payment page from the order dialog, completes the payment with the keyboard, and the balance
// shows 100 credits and the order history the order as paid. Then a pack bought with the dialog
// left open: the order is paid behind its back (the sandbox callback) and the dialog and the
// balance follow by themselves; and a monthly membership bought the same way.
//   cd ui && npm run build && cd .. && STORYLOOM_BIN=… node --test tests/e2e/browser/payments.test.mjs
// Same prerequisites as accounts.test.mjs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  api,
  checkPrerequisites,
  expectPoll,
  launchBrowser,
  makeDataDir,
  removeDir,
  saveFailureArtifacts,
  sessionAuth,
  shoot,
  startServer,
  submitSignUp,
} from './harness.mjs';

const TEST_TIMEOUT_MS = 180_000;
const PASSWORD = 'correct horse battery';

let browser;

before(async () => {
  checkPrerequisites();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});


test('payments: the sandbox turned on, ¥10 of credits bought and completed, the balance and the order history', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = makeDataDir();
  let server;
  let page;
  const pageErrors = [];
  try {
    server = await startServer(dir, { auth: 'accounts' });
    const context = await browser.browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));

    // The first account is the instance admin.
    await page.goto(`${server.url}/#/sign-up`);
    await submitSignUp(page, { username: 'ann', password: PASSWORD });
    await page.getByTestId('nav-credits').waitFor();
    const auth = await sessionAuth(page);

    // No gateway is set up and the sandbox is off on a server: said plainly, with the way out for an admin.
    await page.getByTestId('nav-credits').click();
    await page.getByTestId('credits-page').waitFor();
    await expectPoll(() => page.getByTestId('credits-available').textContent(), '0', 'no credits yet');
    const noGateway = page.getByTestId('no-gateway');
    await expectPoll(() => noGateway.textContent(), /This server takes no payments yet/, 'no gateway');
    await shoot(page, 'payments-no-gateway');
    await page.getByTestId('enable-sandbox').click();
    const sandbox = page.getByTestId('gateway-sandbox');
    await sandbox.waitFor();
    await expectPoll(() => sandbox.textContent(), 'Sandbox — no money moves', 'the sandbox is marked');
    assert.equal(await sandbox.locator('input').isChecked(), true, 'the only gateway is picked');
    assert.equal(await page.getByTestId('no-gateway').count(), 0, 'the notice is gone');
    await expectPoll(() => page.getByTestId('sandbox-banner').textContent(), /Sandbox: no money moves/, 'the banner');
    const config = await api(server, 'GET', '/api/v1/admin/config', undefined, auth);
    assert.equal(config.body.payment_sandbox, true, 'the server has the sandbox on');

    // ¥10 typed as an amount; a bad one is refused next to the field first.
    await page.getByTestId('pack-custom').click();
    const amount = page.getByTestId('recharge-amount');
    await amount.fill('10.001');
    await expectPoll(() => page.getByTestId('recharge-amount-error').textContent(), 'Use at most two decimals (fen)', 'three decimals are refused');
    await amount.fill('10');
    await expectPoll(() => page.getByTestId('recharge-credits').getAttribute('data-credits'), '100', 'the credits it buys');
    await expectPoll(() => page.getByTestId('recharge-credits').textContent(), 'You get 100 credits', 'said before paying');
    await expectPoll(() => page.getByTestId('recharge-pay').textContent(), 'Pay ¥10.00', 'the price on the button');
    await shoot(page, 'payments-buy');
    await page.getByTestId('recharge-pay').click();

    // The order dialog: pending, with the sandbox's own page to pay on.
    const dialog = page.getByTestId('order-dialog');
    await dialog.waitFor();
    await expectPoll(() => dialog.getByTestId('order-view').getAttribute('data-status'), 'pending', 'the order waits for payment');
    await expectPoll(() => dialog.getByTestId('order-amount').textContent(), '¥10.00', 'the amount');
    await expectPoll(() => dialog.getByTestId('order-item').textContent(), '100 credits', 'what it buys');
    const orders = await api(server, 'GET', '/api/v1/credit/recharge/orders', undefined, auth);
    assert.equal(orders.body.total, 1);
    const order = orders.body.items[0];
    assert.deepEqual([order.amount_cents, order.credits, order.gateway, order.status], [1000, 100, 'sandbox', 'pending']);
    await expectPoll(() => dialog.getByTestId('open-sandbox-page').getAttribute('href'), `#/pay/sandbox/${order.id}`, 'the link to the sandbox page');
    await shoot(page, 'payments-order-dialog');
    await dialog.getByTestId('open-sandbox-page').click();

    // The sandbox page: the order, the banner, and Complete for the admin, pressed with the keyboard.
    const sandboxPage = page.getByTestId('sandbox-pay-page');
    await sandboxPage.waitFor();
    assert.equal(await page.evaluate(() => window.location.hash), `#/pay/sandbox/${order.id}`);
    await expectPoll(() => page.getByTestId('sandbox-page-banner').textContent(), /Sandbox: no money moves/, 'the banner on the page');
    await expectPoll(() => page.getByTestId('sandbox-order-amount').textContent(), '¥10.00', 'the amount');
    await expectPoll(() => page.getByTestId('sandbox-order-item').textContent(), '100 credits', 'what it buys');
    await expectPoll(() => page.getByTestId('sandbox-order').getAttribute('data-status'), 'pending', 'still pending');
    await shoot(page, 'payments-sandbox-page');
    await page.getByTestId('sandbox-complete').focus();
    await page.keyboard.press('Enter');
    await expectPoll(() => page.getByTestId('sandbox-result').getAttribute('data-result'), 'credited', 'the callback credited the order');
    await expectPoll(() => page.getByTestId('sandbox-order').getAttribute('data-status'), 'paid', 'the order is paid');
    assert.equal(await page.getByTestId('sandbox-complete').count(), 0, 'nothing more to press');

    // Back on the Credits page: 100 credits, and the order paid in the history.
    await page.getByTestId('back-to-credits').click();
    await page.getByTestId('credits-page').waitFor();
    await expectPoll(() => page.getByTestId('credits-available').textContent(), '100', 'the balance shows the 100 credits');
    const row = page.locator(`[data-testid="order-row"][data-order="${order.id}"]`);
    await expectPoll(() => row.getAttribute('data-status'), 'paid', 'the order history shows the order as paid');
    await expectPoll(() => row.getByTestId('order-status').textContent(), 'Paid', 'with its badge');
    await row.scrollIntoViewIfNeeded();
    await shoot(page, 'payments-paid');
    const balance = await api(server, 'GET', '/api/v1/billing/balance', undefined, auth);
    assert.equal(balance.body.available, 100, 'the ledger holds the 100 credits');

    // A ¥50 pack, the dialog left open while the order is paid elsewhere: the dialog and the
    // balance follow without a reload (the status is polled, then the balance read again).
    await page.getByTestId('pack-credits_500').click();
    await expectPoll(() => page.getByTestId('recharge-pay').textContent(), 'Pay ¥50.00', 'the pack price');
    await page.getByTestId('recharge-pay').click();
    await dialog.waitFor();
    await expectPoll(() => dialog.getByTestId('order-view').getAttribute('data-status'), 'pending', 'the second order waits');
    const second = (await api(server, 'GET', '/api/v1/credit/recharge/orders', undefined, auth)).body.items[0];
    assert.deepEqual([second.amount_cents, second.credits], [5000, 500]);
    const paid = await api(server, 'POST', '/api/v1/credit/payment/callback', { order_id: second.id, payment_method: 'sandbox', transaction_id: 'sandbox-e2e-2', status: 'success' }, auth);
    assert.equal(paid.body.result, 'credited', JSON.stringify(paid.body));
    await expectPoll(() => dialog.getByTestId('order-paid').textContent(), 'Paid: 500 credits were added to your balance.', 'the dialog sees the payment');
    await expectPoll(() => page.getByTestId('credits-available').textContent(), '600', 'the balance follows');
    await dialog.getByTestId('order-close').click();
    await expectPoll(() => page.getByTestId('order-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))), ['paid', 'paid'], 'both orders paid, newest first');

    // A monthly membership through the sandbox (the server answers 202 with the order).
    await page.getByTestId('membership-monthly').click();
    await expectPoll(() => page.getByTestId('membership-pay').textContent(), 'Pay ¥9.90', 'the monthly price');
    await page.getByTestId('membership-pay').click();
    await dialog.waitFor();
    await expectPoll(() => dialog.getByTestId('order-item').textContent(), 'Monthly membership', 'what it buys');
    const membership = (await api(server, 'GET', '/api/v1/credit/membership/orders', undefined, auth)).body.items[0];
    assert.deepEqual([membership.amount_cents, membership.product, membership.status], [990, 'monthly', 'pending']);
    await api(server, 'POST', '/api/v1/credit/payment/callback', { order_id: membership.id, payment_method: 'sandbox', transaction_id: 'sandbox-e2e-3', status: 'success' }, auth);
    await expectPoll(() => dialog.getByTestId('order-paid').textContent(), 'Paid: your membership is active.', 'the membership is paid');
    await dialog.getByTestId('order-close').click();
    await page.getByTestId('orders-membership').click();
    await expectPoll(() => page.getByTestId('order-row').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-kind'), r.getAttribute('data-status')])), [['membership', 'paid']], 'the membership tab');
    assert.equal((await api(server, 'GET', '/api/v1/billing/balance', undefined, auth)).body.is_member, true, 'the server made ann a member');

    assert.deepEqual(pageErrors, [], 'the page threw no uncaught errors');
  } catch (e) {
    const saved = await saveFailureArtifacts(t.name, { page, servers: [server], notes: pageErrors });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    throw e;
  } finally {
    await server?.stop();
    removeDir(dir);
  }
});
