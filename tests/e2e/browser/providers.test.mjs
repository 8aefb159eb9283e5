// Browser end-to-end test of the Providers & Models page and paid runs (docs/API-PROVIDERS.md)
// against the real `storyloom serve --auth local` and a fake OpenAI-compatible upstream started
// here on 127.0.0.1: add a provider from the Ollama preset pointing at the fake, with an LLM
// model at 2 credits/1k tokens and an image model at 3 credits/image, Test it (latency shown),
// make both the defaults, then run `full_production` on a sample and see each node's estimate
// while it runs and the actual cost after; the fake must have received the calls.
//   cd ui && npm run build && cd .. && node --test tests/e2e/browser/providers.test.mjs
// Same prerequisites as runs.test.mjs. Skipped (with a diagnostic) when the server has no
// `/api/v1/admin/providers` yet.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import {
  api,
  checkPrerequisites,
  expectPoll,
  launchBrowser,
  makeDataDir,
  removeDir,
  saveFailureArtifacts,
  startServer,
  waitUntil,
} from './harness.mjs';

const TEST_TIMEOUT_MS = 480_000;
const RUN_TO_REVIEW_MS = 180_000;
const RUN_TO_END_MS = 180_000;

const LLM = { model_name: 'fake-chat', name: 'Fake Chat', price: 2 };
const IMAGE = { model_name: 'fake-image', name: 'Fake Image', price: 3 };

/* ---------- a small valid PNG (RGB, 8 bit), made here ---------- */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A width×height PNG with a vertical gradient (so it is not one flat colour). */
export function makePng(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = 40 + Math.round((y / height) * 160);
      raw[row + 2 + x * 3] = 60;
      raw[row + 3 + x * 3] = 120 + Math.round((x / width) * 100);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/* ---------- the fake OpenAI-compatible upstream ---------- */

/**
 * The answer to a chat: for the breakdown refine (its prompt carries `{"shots": [{number,
 * description}]}`) every shot back with a description, the shape the refine requires; otherwise a
 * short text.
 */
function chatAnswer(body) {
  const messages = Array.isArray(body?.messages) ? body.messages : [];
  const texts = messages.map((m) => (typeof m.content === 'string' ? m.content : ''));
  // The user's message holds the board (the system prompt may quote an example of the shape).
  for (const text of [...texts].reverse()) {
    const at = text.indexOf('{"shots"');
    if (at < 0) continue;
    try {
      const { shots } = JSON.parse(text.slice(at, text.lastIndexOf('}') + 1));
      if (!Array.isArray(shots)) continue;
      return JSON.stringify({ shots: shots.map((x) => ({ number: x.number, description: x.description || 'She turns to the window; the city lights blur.' })) });
    } catch {
      // not this message: the system prompt's example, or a repair prompt
    }
  }
  return /json/i.test(texts.join('\n')) ? '{"shots": []}' : 'OK';
}

/**
 * Answers `POST /v1/chat/completions` (JSON, or SSE when `stream` is set),
 * `POST /v1/images/generations` (`b64_json`) and `GET /v1/models`; records every request.
 */
function startFakeUpstream() {
  const requests = [];
  const png = makePng(64, 114).toString('base64');
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const c of req) text += c;
    let body;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const path = new URL(req.url, 'http://x').pathname;
    requests.push({ method: req.method, path, authorization: req.headers.authorization ?? null, body });
    const created = Math.floor(Date.now() / 1000);
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      const content = chatAnswer(body);
      const usage = { prompt_tokens: 820, completion_tokens: 180, total_tokens: 1000 };
      if (body?.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created, model: body.model };
        res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }] })}\n\n`);
        res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage })}\n\n`);
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created,
          model: body?.model ?? LLM.model_name,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage,
        }),
      );
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [LLM, IMAGE].map((m) => ({ id: m.model_name, object: 'model', created, owned_by: 'fake' })) }));
      return;
    }
    if (req.method === 'POST' && path === '/v1/images/generations') {
      const n = Math.max(1, Math.min(4, Number(body?.n) || 1));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ created, data: Array.from({ length: n }, () => ({ b64_json: png })) }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `fake upstream: no route ${req.method} ${path}`, type: 'invalid_request_error' } }));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        requests,
        calls: (p) => requests.filter((r) => r.method === 'POST' && r.path === p),
        close: () => new Promise((r) => server.close(r)),
      }),
    ),
  );
}

/* ---------- the scenario ---------- */

let browser;

before(async () => {
  checkPrerequisites();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

async function scenario(t, fn) {
  const dir = makeDataDir();
  let server;
  let fake;
  const pageErrors = [];
  const context = await browser.browser.newContext({ viewport: { width: 1400, height: 950 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    fake = await startFakeUpstream();
    server = await startServer(dir, { auth: 'local' });
    // Written against the contract before the backend: skip, saying so, on a server without the registry.
    const probe = await fetch(`${server.url}/api/v1/admin/providers`);
    const probeText = await probe.text();
    if (probe.status === 404 || probe.status === 405 || !(probe.headers.get('content-type') ?? '').includes('json')) {
      t.skip(`this server has no /api/v1/admin/providers yet (${probe.status}): the registry is not built in`);
      return;
    }
    assert.equal(probe.status, 200, probeText);
    await fn({ page, server, fake });
    assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
  } catch (e) {
    const notes = [...pageErrors, `fake upstream requests: ${JSON.stringify(fake?.requests.map((r) => [r.method, r.path, r.body?.model]) ?? [])}`];
    const saved = await saveFailureArtifacts(t.name, { page, servers: [server], notes });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    if (server?.unexpectedExit) t.diagnostic(`server died on its own: ${JSON.stringify(server.unexpectedExit)}`);
    throw e;
  } finally {
    await context.close().catch(() => {});
    if (server) await server.stop();
    await fake?.close();
    removeDir(dir);
  }
}

const num = async (locator, attr) => Number(await locator.getAttribute(attr));

test('providers: add a provider from a preset, test it, make its models the defaults, a full production run shows estimates and costs', { timeout: TEST_TIMEOUT_MS }, (t) =>
  scenario(t, async ({ page, server, fake }) => {
    // ---- the page, from the sidebar (local mode: the local owner administers) ----
    await page.goto(`${server.url}/`);
    await page.getByTestId('nav-providers').click();
    await page.getByTestId('providers-page').waitFor();
    await waitUntil(() => page.url().endsWith('#/settings/providers'), 'the URL names the page');
    // The built-in offline providers are listed, marked and not editable.
    const builtin = page.locator('[data-testid="provider-card"]', { has: page.getByTestId('provider-builtin') }).first();
    await builtin.waitFor();
    assert.equal(await builtin.getByTestId('provider-edit').count(), 0, 'a built-in provider has no Edit');

    // ---- add a provider from the Ollama preset, pointed at the fake, with its LLM model ----
    await page.getByTestId('preset-ollama').click();
    const dialog = page.getByTestId('provider-dialog');
    await dialog.waitFor();
    await expectPoll(() => dialog.getByTestId('base_url-input').inputValue(), 'http://127.0.0.1:11434/v1', 'the preset filled the URL');
    // The form checks the URL before sending anything.
    await dialog.getByTestId('base_url-input').fill('127.0.0.1/v1');
    await dialog.getByTestId('save-provider').click();
    await dialog.getByTestId('field-error-base_url').waitFor();
    await dialog.getByTestId('name-input').fill('Fake AI');
    await dialog.getByTestId('base_url-input').fill(`${fake.url}/v1`);
    await expectPoll(() => dialog.getByTestId('model-kind-select').inputValue(), 'llm', 'the preset’s model is an LLM');
    await dialog.getByTestId('model_name-input').fill(LLM.model_name);
    await dialog.getByTestId('model_display_name-input').fill(LLM.name);
    await dialog.getByTestId('credits_cost-input').fill(String(LLM.price));
    await dialog.getByTestId('output_credits_cost-input').fill(String(LLM.price));
    await dialog.getByTestId('save-provider').click();
    await dialog.waitFor({ state: 'detached' });

    const card = page.locator('[data-testid="provider-card"][data-name="Fake AI"]');
    await card.waitFor();
    const llmRow = card.locator(`[data-testid="model-row"][data-model-name="${LLM.model_name}"]`);
    await llmRow.waitFor();
    await waitUntil(async () => (await llmRow.getByTestId('model-price').innerText()) === '2 credits per 1k tokens', 'the LLM price is shown per 1k tokens');
    await expectPoll(() => card.getAttribute('data-enabled'), 'true', 'the new provider is enabled');

    // ---- its image model ----
    await card.getByTestId('add-model').click();
    const md = page.getByTestId('model-dialog');
    await md.waitFor();
    await md.getByTestId('model-kind-select').selectOption('image');
    await md.getByTestId('model_name-input').fill(IMAGE.model_name);
    await md.getByTestId('model_display_name-input').fill(IMAGE.name);
    await md.getByTestId('credits_cost-input').fill(String(IMAGE.price));
    await md.getByTestId('save-model').click();
    await md.waitFor({ state: 'detached' });
    const imageRow = card.locator(`[data-testid="model-row"][data-model-name="${IMAGE.model_name}"]`);
    await imageRow.waitFor();
    await waitUntil(async () => (await imageRow.getByTestId('model-price').innerText()) === '3 credits per image', 'the image price is shown per image');
    const llmId = await expectPoll(() => llmRow.getAttribute('data-model-id'), Boolean, 'the LLM row names its model');
    const imageId = await expectPoll(() => imageRow.getAttribute('data-model-id'), Boolean, 'the image row names its model');

    // The server holds them as typed.
    const providerId = await expectPoll(() => card.getAttribute('data-provider-id'), Boolean, 'the card names its provider');
    const held = (await api(server, 'GET', `/api/v1/models?provider=${encodeURIComponent(providerId)}&limit=100`)).body;
    const byName = Object.fromEntries(held.items.map((m) => [m.model_name, m]));
    assert.equal(byName[LLM.model_name]?.kind, 'llm');
    assert.equal(byName[LLM.model_name]?.credits_cost, LLM.price);
    assert.equal(byName[IMAGE.model_name]?.kind, 'image');
    assert.equal(byName[IMAGE.model_name]?.credits_cost, IMAGE.price);

    // ---- Test: a spinner while it runs, then the latency ----
    await card.getByTestId('provider-test').click();
    const result = card.getByTestId('provider-test-result');
    await waitUntil(async () => (await result.getAttribute('data-state')) === 'ok', 'the test succeeds against the fake', 30_000);
    await expectPoll(() => result.innerText(), /OK · \d+ ms/, 'the test result gives the latency');
    await expectPoll(() => num(result, 'data-latency'), (ms) => ms >= 0, 'the latency is a number of ms');
    await waitUntil(() => fake.calls('/v1/chat/completions').length >= 1, 'the test called the fake’s chat completions');
    assert.equal(fake.calls('/v1/chat/completions')[0].body.model, LLM.model_name);
    assert.equal(fake.calls('/v1/chat/completions')[0].authorization, null, 'no key, no Authorization header');

    // ---- both models become the defaults ----
    await page.getByTestId('default-select-llm').selectOption(llmId);
    await page.getByTestId('default-select-image').selectOption(imageId);
    await page.getByTestId('save-defaults').click();
    await waitUntil(async () => {
      const c = (await api(server, 'GET', '/api/v1/admin/config')).body;
      return c.default_models.llm === llmId && c.default_models.image === imageId;
    }, 'the server holds the new defaults');
    await waitUntil(async () => (await imageRow.getAttribute('data-default')) === 'true', 'the image model is marked as the default');
    await waitUntil(async () => (await llmRow.getAttribute('data-default')) === 'true', 'the LLM model is marked as the default');

    // Local mode: the balance is the owner's budget for paid providers (0 on a fresh install).
    const budget = await api(server, 'PUT', '/api/v1/billing/budget', { credits: 100_000 });
    assert.equal(budget.status, 200, JSON.stringify(budget.body));

    // ---- a project from a sample, then the full production run ----
    await page.getByTestId('nav-projects').click();
    const samples = (await api(server, 'GET', '/api/v1/samples')).body;
    const sample = samples.find((s) => s.language.startsWith('zh')) ?? samples[0];
    assert.ok(sample, 'a sample exists');
    await page.getByTestId('empty-state').waitFor();
    await page.locator(`[data-testid="sample-open"][data-sample-id="${sample.id}"]`).click();
    const editor = page.getByTestId('editor');
    await editor.waitFor();
    await expectPoll(() => editor.getAttribute('data-project-id'), Boolean, 'the editor names its project');

    await page.getByTestId('tab-runs').click();
    await page.getByTestId('runs-empty').waitFor();
    await page.getByTestId('run-template').selectOption('full_production');
    // The estimate before starting counts the paid models.
    const estimate = page.getByTestId('run-estimate');
    await waitUntil(async () => ['ok', 'member'].includes(await estimate.getAttribute('data-kind')), 'a paid estimate is shown before the start', 15_000);
    await page.getByTestId('run-start').click();
    const summary = page.getByTestId('run-summary');
    await summary.waitFor();
    const runId = await expectPoll(() => summary.getAttribute('data-run-id'), Boolean, 'the summary names its run');

    // Per node: the estimate shows while the run goes (the keyframes: shots × candidates × 3 credits).
    const nodeCost = (id) => page.locator(`[data-testid="dag-node"][data-node-id="${id}"] [data-testid="node-cost"]`);
    await waitUntil(async () => (await nodeCost('keyframes').count()) === 1 && (await num(nodeCost('keyframes'), 'data-estimate')) > 0, 'the keyframes node shows its estimate', 60_000);
    await waitUntil(async () => (await nodeCost('refine').count()) === 1 && (await num(nodeCost('refine'), 'data-estimate')) > 0, 'the refine node shows its estimate', 60_000);
    const runCost = page.getByTestId('run-cost');
    await waitUntil(async () => (await num(runCost, 'data-estimate')) > 0, 'the run shows its total estimate');

    // ---- the review: frames drawn by the fake's image model, labelled with it ----
    await waitUntil(
      async () => {
        const s = await page.getByTestId('run-status').getAttribute('data-status');
        if (s === 'failed') throw new Error(`the run failed: ${await page.getByTestId('run-error').innerText().catch(() => '')}`);
        return s === 'waiting_review';
      },
      'the run reaches the review',
      RUN_TO_REVIEW_MS,
    );
    const review = page.getByTestId('review');
    await review.waitFor();
    const frameModel = page.locator('[data-testid="review-frame"] [data-testid="asset-model"]');
    await waitUntil(async () => (await frameModel.count()) === 1 && (await frameModel.getAttribute('data-model')) === IMAGE.model_name, 'the frame names the model that drew it');
    await waitUntil(() => fake.calls('/v1/images/generations').length >= 1, 'the fake drew images');
    assert.ok(fake.calls('/v1/images/generations').every((r) => r.body.model === IMAGE.model_name), 'every image call named the image model');

    // Nothing decided: Continue asks first (undecided frames are kept as drawn).
    const cont = page.getByTestId('review-continue');
    // The mode is `empty` until the review's items have loaded: wait for a decided one.
    const mode = await expectPoll(() => cont.getAttribute('data-mode'), (m) => m === 'confirm' || m === 'ready', 'Continue knows what it will do');
    await cont.click();
    if (mode === 'confirm') await page.getByTestId('review-confirm-continue').click();
    await waitUntil(
      async () => {
        const s = await page.getByTestId('run-status').getAttribute('data-status');
        if (s === 'failed') throw new Error(`the run failed: ${await page.getByTestId('run-error').innerText().catch(() => '')}`);
        return s === 'completed';
      },
      'the run completes',
      RUN_TO_END_MS,
    );

    // ---- the actual cost after: per node and in total, as the server holds it ----
    await waitUntil(async () => (await num(nodeCost('keyframes'), 'data-actual')) > 0, 'the keyframes node shows what it cost');
    await waitUntil(async () => (await num(nodeCost('refine'), 'data-actual')) > 0, 'the refine node shows what it cost');
    const finished = (await api(server, 'GET', `/api/v1/workflow-runs/${runId}`)).body;
    assert.equal(finished.status, 'completed');
    const kf = finished.steps.find((s) => s.node_id === 'keyframes');
    assert.ok(kf.estimate_credits > 0 && kf.cost_credits > 0, JSON.stringify({ estimate: kf.estimate_credits, cost: kf.cost_credits }));
    await expectPoll(() => num(nodeCost('keyframes'), 'data-actual'), kf.cost_credits, 'the keyframes node shows the server’s cost');
    await expectPoll(() => num(nodeCost('keyframes'), 'data-estimate'), kf.estimate_credits, 'the keyframes node shows the server’s estimate');
    // Images are priced per image: what was charged is a whole number of 3-credit images.
    assert.equal(kf.cost_credits % IMAGE.price, 0, `keyframes cost ${kf.cost_credits}, not a multiple of ${IMAGE.price}`);
    const total = finished.steps.reduce((s, x) => s + x.cost_credits, 0);
    await waitUntil(async () => (await num(runCost, 'data-actual')) === Math.max(total, finished.cost_credits), 'the run total shows what was charged');
    await expectPoll(() => page.getByTestId('run-cost-actual').innerText(), /spent \d/, 'the run says what was spent');

    // The fake saw the refine call too (the test's call plus at least one from the run).
    assert.ok(fake.calls('/v1/chat/completions').length >= 2, `chat calls: ${fake.calls('/v1/chat/completions').length}`);

    // ---- the Assets tab labels the generated keyframes with their model ----
    await page.getByTestId('tab-assets').click();
    await page.getByTestId('asset-type-filter').selectOption('keyframe_image');
    const labelled = page.locator(`[data-testid="asset-row"] [data-testid="asset-model"][data-model="${IMAGE.model_name}"]`);
    await labelled.first().waitFor();
  }),
);
