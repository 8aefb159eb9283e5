// Browser end-to-end test of operations (issue 18) against the real `storyloom serve --auth
// accounts`: the instance admin makes a coupon on the admin page; a second person signs up through
// the admin's referral link (the code prefilled), claims the coupon on the Credits page, picks it
// for a ¥100 recharge (¥90 to pay) and waits; the admin marks the sandbox order paid from the
// admin's order list. The buyer's balance, order history and transactions show it once, the
// admin's statistics count it, and the referral reward reaches the admin.
//   cd ui && npm run build && cd .. && STORYLOOM_BIN=… node --test tests/e2e/browser/operations.test.mjs
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


/** `YYYY-MM-DDTHH:MM` for a datetime-local input, `days` from now. */
function localInput(days) {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

test('operations: a coupon made by the admin, a referred sign-up, a discounted recharge paid once, statistics and the reward', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = makeDataDir();
  let server;
  let admin;
  let buyer;
  const pageErrors = [];
  try {
    server = await startServer(dir, { auth: 'accounts' });
    const newPage = async () => {
      const context = await browser.browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (e) => pageErrors.push(e.message));
      return page;
    };

    // The admin (the first account) turns the sandbox on and makes a 10% coupon on the admin page.
    admin = await newPage();
    await admin.goto(`${server.url}/#/sign-up`);
    await submitSignUp(admin, { username: 'ann', password: PASSWORD });
    await admin.getByTestId('nav-credits').waitFor();
    const adminAuth = await sessionAuth(admin);
    assert.equal((await api(server, 'PATCH', '/api/v1/admin/config', { payment_sandbox: true }, adminAuth)).status, 200);
    await admin.getByTestId('nav-admin-operations').click();
    await admin.getByTestId('admin-ops-page').waitFor();
    await admin.getByTestId('admin-ops-tab-coupons').click();
    const form = admin.getByTestId('admin-coupon-form');
    await form.waitFor();
    const fillCoupon = async () => {
      await form.getByTestId('code-input').fill('SPRING10');
      await form.getByTestId('name-input').fill('Spring sale');
      await form.getByTestId('coupon-type-select').selectOption('discount');
      await form.getByTestId('value-input').fill('10');
      await form.getByTestId('max_usage-input').fill('100');
      await form.getByTestId('valid_from-input').fill(localInput(-1));
      await form.getByTestId('valid_until-input').fill(localInput(30));
      await form.getByTestId('admin-coupon-create').click();
    };
    await fillCoupon();
    const couponRow = admin.locator('[data-testid="admin-coupon-row"][data-code="SPRING10"]');
    await couponRow.waitFor();
    await expectPoll(() => form.getByTestId('code-input').inputValue(), '', 'the form is emptied once made');
    // The same code again: the server's 409 lands on the code field, and nothing more is made.
    await fillCoupon();
    await expectPoll(() => form.getByTestId('field-error-code').isVisible(), true, 'the taken code is said on its field');
    assert.equal(await admin.locator('[data-testid="admin-coupon-row"]').count(), 1, 'one coupon');
    await shoot(admin, 'operations-admin-coupons');
    const me = await api(server, 'GET', '/api/v1/auth/me', undefined, adminAuth);
    const code = me.body.referral_code;
    assert.match(code, /^[A-Z0-9]{8}$/, 'the admin has a referral code');

    // Bob signs up through ann's referral link: the code is filled in for him.
    buyer = await newPage();
    await buyer.goto(`${server.url}/#/sign-up?ref=${code}`);
    await buyer.getByTestId('sign-up-form').waitFor();
    assert.equal(await buyer.getByTestId('referral_code-input').inputValue(), code, 'the link prefills the code');
    await submitSignUp(buyer, { username: 'bob', password: PASSWORD });
    await buyer.getByTestId('nav-credits').waitFor();
    const buyerAuth = await sessionAuth(buyer);

    // The coupon claimed, then picked for a ¥100 recharge: ¥90 to pay, 1,000 credits.
    await buyer.getByTestId('nav-credits').click();
    await buyer.getByTestId('credits-page').waitFor();
    await buyer.getByTestId('coupon-claim-SPRING10').click();
    await expectPoll(() => buyer.getByTestId('my-coupon-SPRING10').getAttribute('data-status'), 'unused', 'claimed into the wallet');
    await buyer.getByTestId('pack-custom').click();
    await buyer.getByTestId('recharge-amount').fill('100');
    await buyer.getByTestId('recharge-coupon').selectOption('SPRING10');
    await expectPoll(() => buyer.getByTestId('recharge-coupon-value').textContent(), /10%/, 'what the coupon does');
    await expectPoll(() => buyer.getByTestId('recharge-pay').textContent(), 'Pay ¥90.00', 'the price with the coupon, before paying');
    await shoot(buyer, 'operations-recharge-coupon');
    await buyer.getByTestId('recharge-pay').click();
    const dialog = buyer.getByTestId('order-dialog');
    await dialog.waitFor();
    await expectPoll(() => dialog.getByTestId('order-amount').textContent(), '¥90.00', 'the discounted price');
    const order = (await api(server, 'GET', '/api/v1/credit/recharge/orders', undefined, buyerAuth)).body.items[0];
    assert.deepEqual([order.amount_cents, order.list_amount_cents, order.credits, order.status], [9000, 10000, 1000, 'pending']);

    // The admin finds it in every order and marks it paid (the sandbox's completion); twice
    // would change nothing: the button is gone once it is paid.
    await admin.getByTestId('admin-ops-tab-orders').click();
    const orderRow = admin.locator(`[data-testid="admin-order-row"][data-order="${order.id}"]`);
    await expectPoll(() => orderRow.getAttribute('data-status'), 'pending', 'the admin sees the pending order');
    await expectPoll(() => orderRow.textContent(), /bob/, 'with who made it');
    await admin.getByTestId(`admin-order-mark-paid-${order.id}`).click();
    await expectPoll(() => orderRow.getAttribute('data-status'), 'paid', 'paid in the admin list');
    assert.equal(await admin.getByTestId(`admin-order-mark-paid-${order.id}`).count(), 0, 'nothing more to press');
    await shoot(admin, 'operations-admin-orders');

    // The buyer's dialog, balance, order history and transactions follow; the coupon is used.
    await expectPoll(() => dialog.getByTestId('order-paid').textContent(), 'Paid: 1,000 credits were added to your balance.', 'the dialog sees the payment');
    await dialog.getByTestId('order-close').click();
    await expectPoll(() => buyer.getByTestId('credits-available').textContent(), '1,000', 'the balance, once');
    const historyRow = buyer.locator(`[data-testid="order-row"][data-order="${order.id}"]`);
    await expectPoll(() => historyRow.getAttribute('data-status'), 'paid', 'the order history');
    await expectPoll(() => buyer.getByTestId('credits-transactions').textContent(), /Recharge/, 'the transactions list the recharge');
    await buyer.getByTestId('my-coupons-filter-used').click();
    await expectPoll(() => buyer.getByTestId('my-coupon-SPRING10').getAttribute('data-status'), 'used', 'the coupon is used');
    const txs = await api(server, 'GET', '/api/v1/credit/transactions?type=recharge', undefined, buyerAuth);
    assert.deepEqual(txs.body.items.map((x) => [x.type, x.amount]), [['recharge', 1000]], 'credited exactly once');
    await shoot(buyer, 'operations-paid');

    // The admin's statistics count the sale; the referral reward reached the admin.
    await admin.getByTestId('admin-ops-tab-statistics').click();
    await expectPoll(() => admin.getByTestId('stats-revenue').textContent(), '¥90.00', 'the revenue');
    await expectPoll(() => admin.getByTestId('stats-credits-sold').textContent(), '1,000', 'the credits sold');
    await expectPoll(() => admin.getByTestId('stats-new-users').textContent(), '2', 'two people signed up');
    await expectPoll(() => admin.getByTestId('stats-paying-users').textContent(), '1', 'one of them paid');
    await shoot(admin, 'operations-statistics');
    const rewarded = await api(server, 'GET', '/api/v1/operation/referral/records', undefined, adminAuth);
    assert.deepEqual(rewarded.body.items.map((r) => [r.referred_user, r.status, r.reward_amount]), [['bob', 'completed', 50]]);
    assert.equal((await api(server, 'GET', '/api/v1/billing/balance', undefined, adminAuth)).body.available, 50, 'the reward, once');

    assert.deepEqual(pageErrors, [], 'the pages threw no uncaught errors');
  } catch (e) {
    const saved = await saveFailureArtifacts(t.name, { page: buyer ?? admin, servers: [server], notes: pageErrors });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    throw e;
  } finally {
    await server?.stop();
    removeDir(dir);
  }
});
