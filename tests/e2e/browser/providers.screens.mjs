// Screenshots of the Providers & Models page, the add-provider dialog and a run's costs, for a
// look by eye, without a backend: ui/dist is served by a tiny static server and the API is
// answered from fixed fixtures (docs/API-PROVIDERS.md) with Playwright's page.route.
//   cd ui && npm run build && cd .. && node tests/e2e/browser/providers.screens.mjs
// Writes tests/e2e/browser/artifacts/providers-*.png.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { serveDist } from './fake-registry.mjs';
import { artifactsDir, launchBrowser } from './harness.mjs';

const T = '2026-12-06T03:00:00Z';
const provider = (o) => ({ api_key_masked: null, has_api_key: false, enabled: true, max_concurrency: 4, builtin: false, created_at: T, updated_at: T, ...o });
const model = (o) => ({ category: null, output_credits_cost: null, config: null, is_active: true, is_default: false, builtin: false, popularity: 0, created_at: T, updated_at: T, ...o });

const providers = [
  provider({ id: 'builtin', name: 'Built-in (offline)', adapter: 'builtin', base_url: '', builtin: true }),
  provider({ id: 'p-ds', name: 'DeepSeek', adapter: 'openai_compatible', base_url: 'https://api.deepseek.com/v1', api_key_masked: 'sk-…abcd', has_api_key: true }),
  provider({ id: 'p-ollama', name: 'Ollama', adapter: 'openai_compatible', base_url: 'http://127.0.0.1:11434/v1', enabled: false, max_concurrency: 1 }),
];
const models = [
  model({ id: 'builtin-image-animatic', provider_id: 'builtin', provider: 'Built-in (offline)', kind: 'image', name: 'Animatic', model_name: 'builtin.animatic', credits_cost: 0, unit: 'image', is_default: true, builtin: true }),
  model({ id: 'builtin-video-still', provider_id: 'builtin', provider: 'Built-in (offline)', kind: 'video', name: 'Still', model_name: 'builtin.still', credits_cost: 0, unit: 'second', is_default: true, builtin: true }),
  model({ id: 'builtin-tts-espeak', provider_id: 'builtin', provider: 'Built-in (offline)', kind: 'tts', name: 'espeak-ng', model_name: 'builtin.espeak', credits_cost: 0, unit: '1k_chars', is_default: true, builtin: true }),
  model({ id: 'm-ds', provider_id: 'p-ds', provider: 'DeepSeek', kind: 'llm', name: 'DeepSeek Chat', model_name: 'deepseek-chat', credits_cost: 2, output_credits_cost: 4, unit: '1k_tokens', is_default: true }),
  model({ id: 'm-ollama', provider_id: 'p-ollama', provider: 'Ollama', kind: 'llm', name: 'Llama 3.2', model_name: 'llama3.2', credits_cost: 0, output_credits_cost: 0, unit: '1k_tokens', is_active: false }),
];
const config = { default_models: { llm: 'm-ds', image: 'builtin-image-animatic', video: 'builtin-video-still', tts: 'builtin-tts-espeak', asr: null }, max_concurrency: 4, cost_cap: 500 };
const page1 = (items) => ({ items, total: items.length, page: 1, limit: 100, totalPages: 1 });

const step = (o) => ({
  node_run_id: `nr-${o.node_id}`, name: o.node_id, label: null, attempts: 1, cached: false, progress: 0, items_total: 0, items_done: 0, items_cached: 0,
  inputs_hash: null, cost_credits: 0, estimate_credits: 0, output: null, error: null, retryable: false, log: '', started_at: null, completed_at: null, ...o,
});
const run = {
  id: 'run1', project_id: 'proj1', version_id: 'v1', template_id: 'full_production', template_version_id: 'full_production@1', workflow_type: 'full_production',
  status: 'failed', current_step: 'keyframes', progress: 0.45, error: 'node keyframes failed', cost_credits: 19, created_at: T, updated_at: T, finished_at: T,
  steps: [
    step({ node_id: 'parse', kind: 'script.parse', label: 'Parse the script', status: 'completed', progress: 1 }),
    step({ node_id: 'refine', kind: 'llm.prompt', label: 'Refine the breakdown', status: 'completed', progress: 1, estimate_credits: 12, cost_credits: 7 }),
    step({ node_id: 'plan', kind: 'storyboard.plan', label: 'Plan shots', status: 'completed', progress: 1 }),
    step({ node_id: 'keyframes', kind: 'keyframe.render', label: 'Keyframes', status: 'failed', items_total: 12, items_done: 4, estimate_credits: 72, cost_credits: 12, retryable: true,
      error: 'upstream 400: Your request was rejected as a result of our safety system (content_policy_violation)' }),
    step({ node_id: 'review', kind: 'review', label: 'Review keyframes', status: 'pending' }),
    step({ node_id: 'compose', kind: 'video.compose', label: 'Compose the video', status: 'pending' }),
  ],
};
const graph = { nodes: run.steps.map((s) => ({ id: s.node_id, kind: s.kind })), edges: [
  { from: 'parse.breakdown', to: 'refine.breakdown' }, { from: 'parse.breakdown', to: 'plan.breakdown' },
  { from: 'plan.storyboard', to: 'keyframes.storyboard' }, { from: 'keyframes.images', to: 'review.images' }, { from: 'review.images', to: 'compose.clips' },
] };
const project = { id: 'proj1', name: '午夜告白', description: '', aspect_ratio: '9:16', style: null, status: 'in_progress', script: null, current_version_id: 'v1', cost_cap: 200, created_at: T, updated_at: T };
const version = { id: 'v1', project_id: 'proj1', number: 1, parent_version_id: null, note: null, metadata: null, stage: null, is_current: true, script_asset_id: null, parsed_at: T, scene_count: 3, shot_count: 12, created_at: T, updated_at: T };

function answer(url, method) {
  const p = new URL(url).pathname;
  if (p === '/api/v1/auth/me') return [200, { id: 'local', username: 'local', is_admin: true }];
  if (p === '/health') return [200, { status: 'ok', version: '0.13.0', uptime: 1, database: 'ok', storage: 'ok', timestamp: T }];
  if (p === '/api/v1/admin/providers') return [200, page1(providers)];
  if (p.endsWith('/test')) return [200, { ok: true, latency_ms: 412, model: 'deepseek-chat', message: null }];
  if (p === '/api/v1/models') return [200, page1(models)];
  if (p === '/api/v1/admin/config') return [200, config];
  if (p === '/api/v1/projects/proj1') return [200, project];
  if (p === '/api/v1/projects/proj1/versions') return [200, page1([version])];
  if (p === '/api/v1/projects/proj1/versions/v1/workflow/run') return [200, run];
  if (p.startsWith('/api/v1/workflow-runs/run1') || p.startsWith('/api/v1/workflows/run1')) return [200, run];
  if (p.startsWith('/api/v1/workflows/templates')) return [200, p.includes('/versions/') ? { id: 'full_production@1', template_id: 'full_production', number: 1, graph, note: '', created_at: T } : page1([])];
  if (p === '/api/v1/workflow-runs/estimate') return [200, { template_id: 'full_production', template_version_id: 'full_production@1', estimated_cost: 84, nodes: [], available: 1000, held: 0, is_member: false, sufficient: true }];
  if (p === '/api/v1/assets') {
    const asset = (n, metadata) => ({ id: `a${n}`, project_id: 'proj1', version_id: 'v1', type: 'keyframe_image', url: '', thumbnail_url: null, filename: `shot-${n}-keyframe.png`,
      filesize: 15162, mime_type: 'image/png', sha256: '', width: 64, height: 114, metadata, status: 'active', trashed_at: null, created_at: T, updated_at: T });
    return [200, page1([asset(1, { provider: 'Fake AI', model: 'fake-image' }), asset(2, { provider: 'builtin.animatic' }), asset(3, null)])];
  }
  return [404, { detail: `no fixture for ${method} ${p}`, error_code: 'NOT_FOUND', retryable: false }];
}

const server = await serveDist();
const base = server.url;
const b = await launchBrowser();
mkdirSync(artifactsDir, { recursive: true });
try {
  const context = await b.browser.newContext({ viewport: { width: 1360, height: 1000 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(/\/(api\/v1|health)\b/, (route) => {
    const [status, body] = answer(route.request().url(), route.request().method());
    return route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
  });
  await page.goto(`${base}/#/settings/providers`);
  await page.getByTestId('provider-card').first().waitFor();
  await page.locator('[data-testid="provider-card"][data-name="DeepSeek"] [data-testid="provider-test"]').click();
  await page.getByTestId('provider-test-result').waitFor();
  await page.screenshot({ path: path.join(artifactsDir, 'providers-page.png'), fullPage: true });
  // The page scrolls inside <main>: the rest of the list.
  await page.locator('[data-testid="provider-card"][data-name="Ollama"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(artifactsDir, 'providers-page-bottom.png') });
  await page.locator('[data-testid="provider-card"][data-name="DeepSeek"] [data-testid="provider-edit"]').click();
  await page.getByTestId('provider-key-masked').waitFor();
  await page.screenshot({ path: path.join(artifactsDir, 'providers-dialog-edit.png') });
  await page.keyboard.press('Escape');

  await page.getByTestId('preset-qwen').click();
  await page.getByTestId('provider-dialog').waitFor();
  await page.getByTestId('save-provider').click(); // no key: the field errors show
  await page.getByTestId('field-error-api_key').waitFor();
  await page.screenshot({ path: path.join(artifactsDir, 'providers-dialog-qwen.png') });
  await page.getByTestId('dialog-preset-comfyui').click();
  await page.getByTestId('workflow-input').fill('{"6": {"class_type": "CLIPTextEncode"}');
  await page.getByTestId('save-provider').click();
  await page.getByTestId('field-error-workflow').waitFor();
  await page.screenshot({ path: path.join(artifactsDir, 'providers-dialog-comfyui.png') });
  await page.keyboard.press('Escape');

  await page.goto(`${base}/#/projects/proj1/runs`);
  await page.getByTestId('dag-node').first().waitFor();
  await page.screenshot({ path: path.join(artifactsDir, 'providers-run-costs.png'), fullPage: true });
  await page.getByTestId('project-settings').click().catch(() => {});
  await page.getByTestId('project-settings-dialog').waitFor({ timeout: 3000 }).catch(() => {});
  await page.screenshot({ path: path.join(artifactsDir, 'providers-project-settings.png') });
  await page.keyboard.press('Escape');
  await page.goto(`${base}/#/projects/proj1/assets`);
  await page.getByTestId('asset-row').first().waitFor();
  await page.screenshot({ path: path.join(artifactsDir, 'providers-assets-model.png') });
  if (errors.length) console.error('page errors:', errors);
  console.log(`screenshots in ${artifactsDir}`);
} finally {
  await b.close();
  await server.close();
}
