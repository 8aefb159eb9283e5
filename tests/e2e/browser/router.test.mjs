// Browser end-to-end test of the model router's pages against the real `storyloom serve --auth
// accounts` and a fake OpenAI-compatible upstream started here: the Models page lists the model
// with its prices, the playground shows what a message may cost, shows a refusal (402) as the
// answer, streams an answer piece by piece and shows the usage row (tokens, credits charged);
// Stop ends a slow answer; the Usage page shows the totals, the leaderboard and the requests;
// and an API key is made with router limits (a 422 on its models shown next to that field).
//   cd ui && npm run build && cd .. && STORYLOOM_BIN=… node --test tests/e2e/browser/router.test.mjs
// Same prerequisites as accounts.test.mjs.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
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
/** The fake's answer, in three pieces, and the usage it reports: 12 × 1 + 3 × 2 = 18 credits. */
const PIECES = ['Hello', ', streamed', ' world.'];
const USAGE = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 };
const PRICE = { in: 1000, out: 2000 };
const CHARGE = 18;
/** A message that makes the fake answer slowly (for Stop). */
const SLOW = 'Count slowly';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * `POST /v1/chat/completions` streamed: the pieces 300 ms apart, then the usage, then [DONE]; for
 * the SLOW message twenty pieces 300 ms apart. Records every request body.
 */
function startFakeUpstream() {
  const requests = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const c of req) text += c;
    const body = text ? JSON.parse(text) : {};
    requests.push({ path: req.url, body });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions' || !body.stream) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not here","type":"invalid_request_error"}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model };
    const slow = body.messages?.at(-1)?.content === SLOW;
    const pieces = slow ? Array.from({ length: 20 }, (_, i) => `${i + 1} `) : PIECES;
    for (const content of pieces) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`);
      await sleep(300);
    }
    res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: USAGE })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, requests, close: () => new Promise((r) => server.close(r)) }),
    ),
  );
}

let browser;

before(async () => {
  checkPrerequisites();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});


test('model router: catalog, streamed playground with its charge, Stop, usage, key limits', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const dir = makeDataDir();
  const upstream = await startFakeUpstream();
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
    await page.getByTestId('nav-models').waitFor();
    const auth = await sessionAuth(page);
    const me = await api(server, 'GET', '/api/v1/auth/me', undefined, auth);

    // A model on the fake upstream served as `team-chat`, and 500 credits.
    const model = await api(server, 'POST', '/api/v1/models', {
      name: 'Fake Chat', model_name: 'fake-chat', provider: 'Fake upstream', api_base: `${upstream.url}/v1`, api_key: 'sk-fake',
      kind: 'llm', credits_cost: PRICE.in, output_credits_cost: PRICE.out, public_name: 'team-chat',
    }, auth);
    assert.equal(model.status, 201, JSON.stringify(model.body));
    const grant = await api(server, 'POST', '/api/v1/admin/credits/grant', { user_id: me.body.id, credits: 500 }, auth);
    assert.equal(grant.status, 201, JSON.stringify(grant.body));

    // The catalog: the model with its prices.
    await page.getByTestId('nav-models').click();
    const row = page.locator('[data-testid="router-model-row"][data-model="team-chat"]');
    await row.waitFor();
    await expectPoll(() => row.getByTestId('router-model-price').textContent(), '1,000 in / 2,000 out credits per 1k tokens', 'the price per 1k tokens');

    // The most it may cost, before sending: the prompt bound (63 tokens for this message) plus
    // 512 answer tokens, at the listed prices: 63 + 1,024 = 1,087 credits; more than the 500 there are.
    const message = page.getByTestId('playground-message');
    await message.fill('Say hello');
    const hold = page.getByTestId('playground-hold');
    await expectPoll(() => hold.getAttribute('data-credits'), '1087', 'the worst case at 512 answer tokens');
    await expectPoll(() => hold.textContent(), /Up to 1,087 credits/, 'said in words');
    await page.getByTestId('playground-send').click();
    // The 402 is the answer, and the server's hold is the estimate shown.
    await expectPoll(() => page.getByTestId('playground-error').textContent(), /may cost up to 1087 credits and 500 are available/, 'the 402 is shown as the answer');
    assert.equal(upstream.requests.length, 0, 'a refused request never reaches the upstream');

    // 50 answer tokens: 63 + 100 = 163 credits at most. Ctrl+Enter sends.
    await page.getByTestId('playground-max-tokens').fill('50');
    await expectPoll(() => hold.getAttribute('data-credits'), '163', 'the worst case at 50 answer tokens');
    await message.press('Control+Enter');
    const answer = page.getByTestId('playground-answer');
    // The answer grows piece by piece: a partial text is seen before the whole.
    const partial = await expectPoll(() => answer.textContent(), (s) => s.length > 0 && s !== PIECES.join(''), { message: 'a partial answer while it streams', timeout: 5000 });
    assert.ok(PIECES.join('').startsWith(partial), `the partial answer ${JSON.stringify(partial)} is the start of the whole`);
    await page.getByTestId('playground-stop').waitFor();
    await expectPoll(() => answer.textContent(), PIECES.join(''), 'the whole answer');
    // Then the usage row: the tokens the upstream reported, and what they cost.
    await expectPoll(() => page.getByTestId('playground-tokens').textContent(), /12 in · 3 out/, 'the tokens of the usage row');
    await shoot(page, 'router-models');
    await expectPoll(() => page.getByTestId('playground-credits').textContent(), `${CHARGE} credits`, 'the credits charged');
    assert.equal(upstream.requests.at(-1).body.max_tokens, 50, 'the upstream was asked for 50 tokens at most');
    const balance = await api(server, 'GET', '/api/v1/billing/balance', undefined, auth);
    assert.equal(balance.body.available, 500 - CHARGE, 'the ledger charged the same');

    // Stop: the answer ends where it was, and the row settles as stopped by the caller.
    await message.fill(SLOW);
    await page.getByTestId('playground-send').click();
    await expectPoll(() => answer.textContent(), /^1 2 /, 'the slow answer started');
    await page.getByTestId('playground-stop').click();
    await page.getByTestId('playground-send').waitFor();
    const stoppedAt = await answer.textContent();
    assert.ok(!stoppedAt.includes('20 '), 'the answer stopped before its end');
    await expectPoll(() => page.getByTestId('playground-usage').getAttribute('data-end'), 'client_disconnected', { message: 'the row of a stopped answer', timeout: 20_000 });
    await sleep(500);
    assert.equal(await answer.textContent(), stoppedAt, 'nothing arrives after Stop');

    // Usage: one's totals (the refusal is not a request), the leaderboard and the requests.
    await page.getByTestId('nav-usage').click();
    await page.getByTestId('usage-page').waitFor();
    await expectPoll(() => page.getByTestId('usage-total-requests').textContent(), '2', 'two requests this week');
    await expectPoll(() => page.getByTestId('usage-chart').getAttribute('data-bars'), '29', 'the week in 6-hour bars');
    await expectPoll(() => page.getByTestId('usage-by-model').textContent(), /team-chat/, 'usage by model');
    await expectPoll(() => page.getByTestId('usage-leaderboard').textContent(), /team-chat/, 'the leaderboard');
    await shoot(page, 'router-usage');
    const ends = await expectPoll(
      () => page.getByTestId('usage-request-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-end'))),
      (e) => e.length === 3,
      'three rows, newest first',
    );
    assert.deepEqual(ends, ['client_disconnected', 'completed', 'insufficient_credits']);
    await page.getByTestId('usage-period-day').click();
    await expectPoll(() => page.getByTestId('usage-chart').getAttribute('data-bars'), '25', 'a day by the hour');

    // An API key limited to team-chat, 100 calls an hour and 50 credits. Its models are checked
    // by the server: one no longer served is refused next to the models.
    await page.getByTestId('nav-api-keys').click();
    await page.getByTestId('new-api-key').click();
    await page.getByTestId('new-api-key-dialog').waitFor();
    await page.getByTestId('name-input').fill('router key');
    await page.getByTestId('allowed-model-team-chat').check();
    await page.getByTestId('rate_limit_per_hour-input').fill('0');
    await page.getByTestId('credit_budget-input').fill('50');
    await page.getByTestId('create-api-key').click();
    await expectPoll(() => page.getByTestId('field-error-rate_limit_per_hour').textContent(), /1 to 1,000,000/, 'calls an hour are checked here first');
    await page.getByTestId('rate_limit_per_hour-input').fill('100');
    const off = await api(server, 'PUT', `/api/v1/models/${model.body.id}`, { is_active: false }, auth);
    assert.equal(off.status, 200, JSON.stringify(off.body));
    await page.getByTestId('create-api-key').click();
    await expectPoll(() => page.getByTestId('field-error-allowed_models').textContent(), /team-chat/, "the server's 422 next to the models");
    await api(server, 'PUT', `/api/v1/models/${model.body.id}`, { is_active: true }, auth);
    await page.getByTestId('create-api-key').click();
    await page.getByTestId('api-key-secret-dialog').waitFor();
    const secret = await page.getByTestId('api-key-secret').inputValue();
    await page.getByTestId('close-secret').click();
    await expectPoll(
      () => page.getByTestId('api-key-limits').textContent(),
      (s) => s.includes('Models: team-chat') && s.includes('100 calls an hour') && s.includes('Budget: 50 credits'),
      'the key shows its limits',
    );
    const keys = await api(server, 'GET', '/api/v1/users/me/api-keys', undefined, auth);
    assert.deepEqual(keys.body.items[0].limits, { allowed_models: ['team-chat'], router_per_hour: 100, credit_budget: 50 });
    const listed = await api(server, 'GET', '/v1/models', undefined, { authorization: `Bearer ${secret}` });
    assert.deepEqual(listed.body.data.map((m) => m.id), ['team-chat'], 'the key sees its model');

    assert.deepEqual(pageErrors, [], 'the page threw no uncaught errors');
  } catch (e) {
    const saved = await saveFailureArtifacts(t.name, { page, servers: [server], notes: pageErrors });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    throw e;
  } finally {
    await server?.stop();
    await upstream.close();
    removeDir(dir);
  }
});
