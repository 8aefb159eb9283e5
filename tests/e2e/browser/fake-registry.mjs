// A stateful stand-in for the registry's routes (docs/API-PROVIDERS.md), answered inside the
// browser with Playwright's page.route, and a static server for ui/dist: the Providers & Models
// page can be driven (providers-ui.test.mjs) and pictured (providers.screens.mjs) without the Rust
// server. It follows the contract as written; the real server is tested by providers.test.mjs.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { uiDist } from './harness.mjs';

const T = '2026-12-06T03:00:00Z';
const UNIT = { llm: '1k_tokens', image: 'image', video: 'second', tts: '1k_chars', asr: 'minute' };

const mask = (key) => (key ? `${key.slice(0, 3)}…${key.slice(-4)}` : null);

function problem(status, detail, field) {
  const codes = { 404: 'NOT_FOUND', 409: 'CONFLICT', 422: 'VALIDATION_ERROR' };
  return [status, { detail, error_code: codes[status] ?? 'ERROR', retryable: false, ...(field ? { field } : {}) }];
}

/**
 * The registry's state and a `handle(method, url, body)` → `[status, body]`. `log` records every
 * request. Tweaks for the tests: a base URL on `reject.example` is refused (422 `base_url`); a
 * provider without a key fails its test with a 401 message; `llama3.2` can't be the default llm;
 * a model named `refused-model` is refused (422 `model_name`).
 */
export function createFakeRegistry({ extra } = {}) {
  let seq = 0;
  const id = (p) => `${p}-${++seq}`;
  const log = [];
  const providers = [
    { id: 'builtin', name: 'Built-in (offline)', adapter: 'builtin', base_url: '', key: null, enabled: true, max_concurrency: 4, builtin: true },
  ];
  const models = [
    { id: 'builtin-image-animatic', provider_id: 'builtin', kind: 'image', name: 'Animatic', model_name: 'builtin.animatic', credits_cost: 0, builtin: true },
    { id: 'builtin-video-still', provider_id: 'builtin', kind: 'video', name: 'Still', model_name: 'builtin.still', credits_cost: 0, builtin: true },
    { id: 'builtin-tts-espeak', provider_id: 'builtin', kind: 'tts', name: 'espeak-ng', model_name: 'builtin.espeak', credits_cost: 0, builtin: true },
  ].map((m) => ({ output_credits_cost: null, config: null, is_active: true, category: null, popularity: 0, ...m }));
  const config = {
    default_models: { llm: null, image: 'builtin-image-animatic', video: 'builtin-video-still', tts: 'builtin-tts-espeak', asr: null },
    max_concurrency: 4,
    cost_cap: null,
  };

  const showProvider = (p) => ({
    id: p.id, name: p.name, adapter: p.adapter, base_url: p.base_url, api_key_masked: mask(p.key), has_api_key: !!p.key,
    enabled: p.enabled, max_concurrency: p.max_concurrency, builtin: p.builtin, created_at: T, updated_at: T,
  });
  const showModel = (m) => ({
    ...m, provider: providers.find((p) => p.id === m.provider_id)?.name ?? '', unit: UNIT[m.kind],
    is_default: Object.values(config.default_models).includes(m.id), created_at: T, updated_at: T,
  });
  const page = (items) => ({ items, total: items.length, page: 1, limit: 100, totalPages: 1 });

  function checkProvider(b, partial) {
    if (!partial || b.name !== undefined) if (!b.name?.trim()) return problem(422, 'name must not be empty', 'name');
    if (!partial || b.base_url !== undefined) {
      if (!/^https?:\/\//.test(b.base_url ?? '')) return problem(422, 'base_url must be an http(s) URL', 'base_url');
      if (b.base_url.includes('reject.example')) return problem(422, 'base_url: that host is not allowed on this instance', 'base_url');
    }
    if (b.max_concurrency !== undefined && !(b.max_concurrency >= 1 && b.max_concurrency <= 64)) return problem(422, 'max_concurrency must be 1–64', 'max_concurrency');
    return null;
  }

  function handle(method, url, body) {
    const p = new URL(url).pathname;
    log.push({ method, path: p, body });
    const override = extra?.(method, p, body);
    if (override) return override;
    if (p === '/api/v1/auth/me') return [200, { id: 'local', username: 'local', is_admin: true }];
    if (p === '/health') return [200, { status: 'ok', version: '0.13.0', uptime: 1, database: 'ok', storage: 'ok', timestamp: T }];
    if (p === '/api/v1/admin/providers') {
      if (method === 'GET') return [200, page(providers.map(showProvider))];
      const bad = checkProvider(body, false);
      if (bad) return bad;
      const prov = { id: id('p'), name: body.name, adapter: body.adapter, base_url: body.base_url, key: body.api_key || null,
        enabled: body.enabled ?? true, max_concurrency: body.max_concurrency ?? 4, builtin: false };
      providers.push(prov);
      return [201, showProvider(prov)];
    }
    let m = /^\/api\/v1\/admin\/providers\/([^/]+)(?:\/(enable|disable|test))?$/.exec(p);
    if (m) {
      const prov = providers.find((x) => x.id === decodeURIComponent(m[1]));
      if (!prov) return problem(404, 'no such provider');
      if (prov.builtin && m[2] !== 'test') return problem(409, 'built-in providers cannot be changed');
      if (m[2] === 'enable' || m[2] === 'disable') {
        prov.enabled = m[2] === 'enable';
        return [200, showProvider(prov)];
      }
      if (m[2] === 'test') {
        const first = models.find((x) => x.provider_id === prov.id && x.is_active);
        if (!prov.key && prov.adapter !== 'comfyui' && !prov.base_url.includes('127.0.0.1')) {
          return [200, { ok: false, latency_ms: 35, model: first?.model_name ?? null, message: '401 Unauthorized: Incorrect API key provided' }];
        }
        return [200, { ok: true, latency_ms: 123, model: first?.model_name ?? null, message: null }];
      }
      const bad = checkProvider(body, true);
      if (bad) return bad;
      for (const k of ['name', 'adapter', 'base_url', 'max_concurrency']) if (body[k] !== undefined) prov[k] = body[k];
      if (body.api_key !== undefined) prov.key = body.api_key || null;
      return [200, showProvider(prov)];
    }
    if (p === '/api/v1/models') {
      if (method === 'GET') {
        const q = new URL(url).searchParams;
        const provider = q.get('provider');
        return [200, page(models.filter((x) => !provider || x.provider_id === provider).map(showModel))];
      }
      if (!body.model_name?.trim()) return problem(422, 'model_name must not be empty', 'model_name');
      if (body.model_name === 'refused-model') return problem(422, 'the upstream does not know refused-model', 'model_name');
      const prov = providers.find((x) => x.id === body.provider_id);
      if (!prov) return problem(422, 'no such provider', 'provider_id');
      if (models.some((x) => x.provider_id === prov.id && x.model_name === body.model_name)) {
        return problem(409, `${prov.name} already has a model ${body.model_name}`, 'model_name');
      }
      const kind = body.kind ?? 'llm';
      const model = { id: id('m'), provider_id: prov.id, kind, name: body.name, model_name: body.model_name, category: body.category ?? null,
        credits_cost: body.credits_cost ?? 0, output_credits_cost: kind === 'llm' ? (body.output_credits_cost ?? body.credits_cost ?? 0) : null,
        config: body.config ?? null, is_active: true, builtin: false, popularity: 0 };
      models.push(model);
      return [201, showModel(model)];
    }
    m = /^\/api\/v1\/models\/([^/]+)$/.exec(p);
    if (m) {
      const model = models.find((x) => x.id === decodeURIComponent(m[1]));
      if (!model) return problem(404, 'no such model');
      if (method === 'GET') return [200, showModel(model)];
      if (model.builtin) return problem(409, 'built-in models cannot be changed');
      if (method === 'DELETE') {
        const kind = Object.keys(config.default_models).find((k) => config.default_models[k] === model.id);
        if (kind) return problem(409, `${model.name} is the default ${kind} model: choose another default first`);
        models.splice(models.indexOf(model), 1);
        return [204, null];
      }
      for (const k of ['name', 'model_name', 'config', 'credits_cost', 'output_credits_cost', 'category', 'is_active']) if (body[k] !== undefined) model[k] = body[k];
      return [200, showModel(model)];
    }
    if (p === '/api/v1/admin/config') {
      if (method === 'GET') return [200, config];
      for (const [kind, mid] of Object.entries(body.default_models ?? {})) {
        if (mid === null) continue;
        const model = models.find((x) => x.id === mid);
        const prov = model && providers.find((x) => x.id === model.provider_id);
        if (!model || model.kind !== kind || !model.is_active || !prov?.enabled || model.model_name === 'llama3.2') {
          return problem(422, `default_models.${kind} must be an active ${kind} model on an enabled provider`, `default_models.${kind}`);
        }
      }
      Object.assign(config.default_models, body.default_models ?? {});
      if (body.cost_cap !== undefined) config.cost_cap = body.cost_cap;
      if (body.max_concurrency !== undefined) config.max_concurrency = body.max_concurrency;
      return [200, config];
    }
    return problem(404, `fake registry: no route ${method} ${p}`);
  }

  return { handle, log, providers, models, config };
}

/** Routes the page's API calls to `fake` (Playwright page.route). */
export async function routeApi(page, fake) {
  await page.route(/\/(api\/v1|health)\b/, async (route) => {
    const req = route.request();
    let body;
    try {
      body = req.postData() ? JSON.parse(req.postData()) : undefined;
    } catch {
      body = undefined;
    }
    const [status, answer] = fake.handle(req.method(), req.url(), body);
    if (answer === null) return route.fulfill({ status });
    return route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(answer) });
  });
}

/** Serves ui/dist on 127.0.0.1 (no API: the routes above answer it). */
export function serveDist() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };
  const server = createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.join(uiDist, path.normalize(rel));
    if (!file.startsWith(uiDist) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) }),
    ),
  );
}
