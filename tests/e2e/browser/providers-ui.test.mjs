// Browser test of the Providers & Models page's behaviour against the contract's stand-in
// (fake-registry.mjs): presets, client and server field errors, the masked key and "Replace key",
// enable/disable, Test (spinner, latency, the upstream's error), models (add, edit, delete with the
// server's 409), defaults (a 422 beside its select) and the cost cap. Needs ui/dist and Chromium,
// not the Rust server (providers.test.mjs drives the real one).
//   cd ui && npm run build && cd .. && node --test tests/e2e/browser/providers-ui.test.mjs
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createFakeRegistry, routeApi, serveDist } from './fake-registry.mjs';
import { chromiumPath, expectPoll, launchBrowser, saveFailureArtifacts, uiDist, waitUntil } from './harness.mjs';

let browser;
let site;

before(async () => {
  const missing = [];
  if (!existsSync(path.join(uiDist, 'index.html'))) missing.push(`built UI ${uiDist}/index.html (npm ci && npm run build in ui/)`);
  if (!existsSync(chromiumPath)) missing.push(`Chromium at ${chromiumPath}`);
  if (missing.length) throw new Error(`prerequisites missing:\n  - ${missing.join('\n  - ')}`);
  browser = await launchBrowser();
  site = await serveDist();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

async function scenario(t, fn) {
  const fake = createFakeRegistry();
  const pageErrors = [];
  const context = await browser.browser.newContext({ viewport: { width: 1360, height: 950 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    await routeApi(page, fake);
    await fn({ page, fake });
    assert.deepEqual(pageErrors, [], 'the page threw uncaught errors');
  } catch (e) {
    const saved = await saveFailureArtifacts(t.name, { page, notes: [...pageErrors, JSON.stringify(fake.log.slice(-20))] });
    t.diagnostic(`failure artifacts: ${saved.join(', ') || 'none'}`);
    throw e;
  } finally {
    await context.close().catch(() => {});
  }
}

const calls = (fake, method, re) => fake.log.filter((c) => c.method === method && re.test(c.path));

test('providers page: presets, keys, errors beside their fields, test, models, defaults and the cost cap', { timeout: 120_000 }, (t) =>
  scenario(t, async ({ page, fake }) => {
    await page.goto(`${site.url}/#/settings/providers`);
    await page.getByTestId('providers-page').waitFor();
    const builtin = page.locator('[data-testid="provider-card"][data-provider-id="builtin"]');
    await builtin.getByTestId('provider-builtin').waitFor();
    assert.equal(await builtin.getByTestId('provider-edit').count(), 0, 'built-in: no Edit');
    assert.equal(await builtin.getByTestId('provider-enabled').count(), 0, 'built-in: no switch');

    // ---- OpenAI preset: the key is required (client check), then saved with three of its models ----
    await page.getByTestId('preset-openai').click();
    const dialog = page.getByTestId('provider-dialog');
    await dialog.waitFor();
    await expectPoll(() => dialog.getByTestId('base_url-input').inputValue(), 'https://api.openai.com/v1', 'the preset fills the URL');
    await expectPoll(() => dialog.getByTestId('model_name-input').inputValue(), 'gpt-4o-mini', 'the preset fills the model');
    await dialog.getByTestId('save-provider').click();
    await dialog.getByTestId('field-error-api_key').waitFor();
    assert.equal(calls(fake, 'POST', /^\/api\/v1\/admin\/providers$/).length, 0, 'nothing sent while the form is invalid');
    await expectPoll(() => dialog.getByTestId('api_key-input').getAttribute('type'), 'password', 'the key field is a password field');
    await dialog.getByTestId('api_key-input').fill('sk-test-0123456789');
    await dialog.getByTestId('extra-model').nth(2).uncheck(); // whisper-1
    await dialog.getByTestId('save-provider').click();
    await dialog.waitFor({ state: 'detached' });
    const openai = page.locator('[data-testid="provider-card"][data-name="OpenAI"]');
    await openai.waitFor();
    await waitUntil(async () => (await openai.getByTestId('model-row').count()) === 3, 'OpenAI has its three models');
    await expectPoll(() => openai.getByTestId('provider-key').innerText(), 'sk-…6789', 'only the masked key shows');
    const created = calls(fake, 'POST', /^\/api\/v1\/admin\/providers$/)[0].body;
    assert.deepEqual(created, { name: 'OpenAI', adapter: 'openai_compatible', base_url: 'https://api.openai.com/v1', max_concurrency: 4, api_key: 'sk-test-0123456789' });
    assert.deepEqual(
      calls(fake, 'POST', /^\/api\/v1\/models$/).map((c) => [c.body.model_name, c.body.kind, c.body.credits_cost]),
      [['gpt-4o-mini', 'llm', 1], ['gpt-image-1', 'image', 40], ['tts-1', 'tts', 15]],
    );
    const priceOf = (card, name) => card.locator(`[data-testid="model-row"][data-model-name="${name}"] [data-testid="model-price"]`).innerText();
    await expectPoll(() => priceOf(openai, 'gpt-4o-mini'), '1 in / 4 out credits per 1k tokens', 'the LLM price');
    await expectPoll(() => priceOf(openai, 'gpt-image-1'), '40 credits per image', 'the image price');
    await expectPoll(() => priceOf(openai, 'tts-1'), '15 credits per 1k chars', 'the TTS price');

    // ---- the server's 422 shows beside its field; the dialog keeps what was typed ----
    await page.getByTestId('preset-custom').click();
    await dialog.waitFor();
    await dialog.getByTestId('name-input').fill('Elsewhere');
    await dialog.getByTestId('base_url-input').fill('https://reject.example/v1');
    await dialog.getByTestId('model_name-input').fill('some-model');
    await dialog.getByTestId('save-provider').click();
    await waitUntil(async () => /not allowed/.test(await dialog.getByTestId('field-error-base_url').innerText()), 'the server’s detail is beside the URL');
    await expectPoll(() => dialog.getByTestId('name-input').inputValue(), 'Elsewhere', 'the dialog keeps what was typed');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // ---- edit: the masked key, "Replace key" sends the new one ----
    await openai.getByTestId('provider-edit').click();
    await dialog.waitFor();
    await expectPoll(() => dialog.getByTestId('provider-key-masked').innerText(), 'sk-…6789', 'the dialog shows the masked key');
    await dialog.getByTestId('replace-key').click();
    await dialog.getByTestId('api_key-input').fill('sk-new-key-9999');
    await dialog.getByTestId('max_concurrency-input').fill('8');
    await dialog.getByTestId('save-provider').click();
    await dialog.waitFor({ state: 'detached' });
    await waitUntil(async () => (await openai.getByTestId('provider-key').innerText()) === 'sk-…9999', 'the new key’s mask shows');
    assert.deepEqual(calls(fake, 'PATCH', /^\/api\/v1\/admin\/providers\//).at(-1).body, { max_concurrency: 8, api_key: 'sk-new-key-9999' });

    // ---- enable / disable ----
    const sw = openai.getByTestId('provider-enabled');
    await sw.uncheck();
    await waitUntil(async () => (await openai.getAttribute('data-enabled')) === 'false', 'disabled');
    await waitUntil(() => calls(fake, 'POST', /\/disable$/).length === 1, 'the disable was sent');
    await expectPoll(() => openai.getByTestId('provider-test').isDisabled(), true, 'a disabled provider is not tested');
    await sw.check();
    await waitUntil(async () => (await openai.getAttribute('data-enabled')) === 'true', 'enabled again');

    // ---- Test: the latency; and a keyless remote provider shows the upstream's error ----
    await openai.getByTestId('provider-test').click();
    const result = openai.getByTestId('provider-test-result');
    await waitUntil(async () => (await result.getAttribute('data-state')) === 'ok', 'the test passes');
    await expectPoll(() => result.innerText(), 'OK · 123 ms · gpt-4o-mini', 'the test result gives the latency and model');
    await page.getByTestId('preset-custom').click();
    await dialog.waitFor();
    await dialog.getByTestId('name-input').fill('Keyless');
    await dialog.getByTestId('base_url-input').fill('https://api.example.com/v1');
    await dialog.getByTestId('model_name-input').fill('m-1');
    await dialog.getByTestId('save-provider').click();
    await dialog.waitFor({ state: 'detached' });
    const keyless = page.locator('[data-testid="provider-card"][data-name="Keyless"]');
    await keyless.getByTestId('provider-test').click();
    const failed = keyless.getByTestId('provider-test-result');
    await waitUntil(async () => (await failed.getAttribute('data-state')) === 'failed', 'the test fails');
    await expectPoll(() => failed.innerText(), /Incorrect API key provided/, 'the upstream’s error is shown');

    // ---- models: edit a price, delete (a default can't be: the server's 409 shows) ----
    const image = openai.locator('[data-testid="model-row"][data-model-name="gpt-image-1"]');
    await image.getByTestId('model-edit').click();
    const md = page.getByTestId('model-dialog');
    await md.waitFor();
    await expectPoll(() => md.getByTestId('model-kind-select').isDisabled(), true, 'the kind is fixed once made');
    await md.getByTestId('credits_cost-input').fill('50');
    await md.getByTestId('save-model').click();
    await md.waitFor({ state: 'detached' });
    await waitUntil(async () => (await image.getByTestId('model-price').innerText()) === '50 credits per image', 'the new price shows');
    assert.deepEqual(calls(fake, 'PUT', /^\/api\/v1\/models\//).at(-1).body, { credits_cost: 50 });

    // ---- defaults: one select per kind; the server's 422 beside its select; the cost cap ----
    const imageId = await expectPoll(() => image.getAttribute('data-model-id'), Boolean, 'the image model row names its id');
    await page.getByTestId('default-select-image').selectOption(imageId);
    await page.getByTestId('cost-cap-input').fill('12.5');
    await page.getByTestId('save-defaults').click();
    await page.getByTestId('field-error-cost_cap').waitFor();
    await page.getByTestId('cost-cap-input').fill('500');
    await page.getByTestId('save-defaults').click();
    await waitUntil(() => fake.config.default_models.image === imageId && fake.config.cost_cap === 500, 'the defaults and the cap are saved');
    await waitUntil(async () => (await image.getAttribute('data-default')) === 'true', 'the image model is marked default');
    await expectPoll(() => page.getByTestId('default-price-image').innerText(), '50 credits per image', 'the default’s price');

    await page.getByTestId('preset-ollama').click();
    await dialog.waitFor();
    await expectPoll(() => dialog.getByTestId('api_key-input').count(), 1, 'the Ollama preset offers a key field');
    await dialog.getByTestId('save-provider').click(); // no key needed
    await dialog.waitFor({ state: 'detached' });
    const llama = page.locator('[data-testid="model-row"][data-model-name="llama3.2"]');
    await llama.waitFor();
    await page.getByTestId('default-select-llm').selectOption(await expectPoll(() => llama.getAttribute('data-model-id'), Boolean, 'the llama row names its id'));
    await page.getByTestId('save-defaults').click();
    await waitUntil(async () => /active llm model/.test(await page.getByTestId('field-error-default-llm').innerText()), 'the 422 is beside the LLM select');

    await image.getByTestId('model-delete').click();
    const del = page.getByTestId('delete-model-dialog');
    await del.waitFor();
    await del.getByTestId('confirm-delete-model').click();
    await waitUntil(async () => /default image model/.test(await del.getByTestId('delete-model-error').innerText()), 'the 409 is shown in the dialog');
    await del.getByTestId('cancel-delete-model').click();
    await del.waitFor({ state: 'detached' });
    const tts = openai.locator('[data-testid="model-row"][data-model-name="tts-1"]');
    await tts.getByTestId('model-delete').click();
    await del.getByTestId('confirm-delete-model').click();
    await del.waitFor({ state: 'detached' });
    await tts.waitFor({ state: 'detached' });
    await expectPoll(() => fake.models.some((m) => m.model_name === 'tts-1'), false, 'tts-1 is deleted');
  }),
);

test('providers page: Qwen makes two providers with one key; ComfyUI checks its workflow', { timeout: 60_000 }, (t) =>
  scenario(t, async ({ page, fake }) => {
    await page.goto(`${site.url}/#/settings/providers`);
    await page.getByTestId('preset-qwen').click();
    const dialog = page.getByTestId('provider-dialog');
    await dialog.getByTestId('api_key-input').fill('sk-qwen-abcdef');
    await dialog.getByTestId('save-provider').click();
    await dialog.waitFor({ state: 'detached' });
    const qwen = page.locator('[data-testid="provider-card"][data-name="Qwen"]');
    const dashscope = page.locator('[data-testid="provider-card"][data-name="DashScope"]');
    await qwen.locator('[data-testid="model-row"][data-model-name="qwen-plus"]').waitFor();
    await dashscope.locator('[data-testid="model-row"][data-model-name="wanx2.1-t2i-turbo"]').waitFor();
    await dashscope.locator('[data-testid="model-row"][data-model-name="wanx2.1-i2v-turbo"]').waitFor();
    await expectPoll(() => dashscope.getByTestId('provider-key').innerText(), 'sk-…cdef', 'the same key');
    assert.equal(fake.providers.find((p) => p.name === 'DashScope').adapter, 'dashscope');
    await expectPoll(
      () => dashscope.locator('[data-model-name="wanx2.1-i2v-turbo"] [data-testid="model-price"]').innerText(),
      /per second$/,
      'the video model is priced per second',
    );

    // The provider is saved but its model refused: the error is beside the model's name, and saving
    // again adds the model without a second provider.
    await page.getByTestId('preset-custom').click();
    await dialog.waitFor();
    await dialog.getByTestId('name-input').fill('Local vLLM');
    await dialog.getByTestId('base_url-input').fill('http://127.0.0.1:8000/v1');
    await dialog.getByTestId('model_name-input').fill('refused-model');
    await dialog.getByTestId('save-provider').click();
    await waitUntil(async () => /does not know/.test(await dialog.getByTestId('field-error-model_name').innerText()), 'the model error is beside its field');
    await dialog.getByTestId('provider-form-error').waitFor();
    await dialog.getByTestId('model_name-input').fill('qwen2.5-7b');
    await dialog.getByTestId('save-provider').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid="provider-card"][data-name="Local vLLM"] [data-model-name="qwen2.5-7b"]').waitFor();
    assert.equal(fake.providers.filter((p) => p.name === 'Local vLLM').length, 1, 'one provider, not two');

    await page.getByTestId('preset-comfyui').click();
    await dialog.waitFor();
    await dialog.getByTestId('workflow-input').fill('{"6": {"class_type": "CLIPTextEncode"}');
    await dialog.getByTestId('save-provider').click();
    await dialog.getByTestId('field-error-workflow').waitFor();
    await dialog.getByTestId('workflow-input').fill('{"6": {"class_type": "CLIPTextEncode", "inputs": {"text": ""}}, "3": {"class_type": "KSampler"}}');
    await dialog.getByTestId('prompt_node-input').fill('6');
    await dialog.getByTestId('seed_node-input').fill('3');
    await dialog.getByTestId('save-provider').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid="provider-card"][data-name="ComfyUI"] [data-testid="model-row"]').waitFor();
    const body = fake.log.filter((c) => c.method === 'POST' && c.path === '/api/v1/models').at(-1).body;
    assert.deepEqual(body.config.nodes, { prompt: '6', seed: '3' });
    assert.equal(body.config.workflow['3'].class_type, 'KSampler');
  }),
);
