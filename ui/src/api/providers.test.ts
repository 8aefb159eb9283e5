import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createFetchTransport, setTransport } from '../transport';
import {
  createModel,
  createProvider,
  deleteModel,
  getAdminConfig,
  getModel,
  listAllModels,
  listModels,
  listProviders,
  modelsListPath,
  searchModels,
  setModelPricing,
  setProviderEnabled,
  testProvider,
  updateAdminConfig,
  updateModel,
  updateProvider,
} from './providers';

type Call = { url: string; method?: string | undefined; body?: unknown };

function install(answer: (url: string, method: string) => Response = () => new Response('{}', { status: 200 })) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ url, method: init?.method, body: init?.body ? JSON.parse(init.body as string) : undefined });
    return answer(url, init?.method ?? 'GET');
  });
  setTransport(createFetchTransport({ kind: 'browser', baseUrl: '', fetch }));
  return calls;
}

describe('provider and model calls', () => {
  afterEach(() => setTransport(undefined));

  it('use the documented methods, paths and bodies', async () => {
    const calls = install((_url, method) => (method === 'DELETE' ? new Response(null, { status: 204 }) : new Response('{}', { status: 200 })));
    await listProviders();
    await listProviders({ page: 2, limit: 10 });
    await createProvider({ name: 'DeepSeek', adapter: 'openai_compatible', base_url: 'https://api.deepseek.com/v1', api_key: 'sk-1' });
    await updateProvider('p/1', { api_key: '' });
    await setProviderEnabled('p1', true);
    await setProviderEnabled('p1', false);
    await testProvider('p1');
    await testProvider('p1', 'm1');
    await getModel('m1');
    await createModel({ name: 'Chat', provider: 'DeepSeek', provider_id: 'p1', model_name: 'deepseek-chat', kind: 'llm', credits_cost: 2, output_credits_cost: 4 });
    await updateModel('m1', { is_active: false });
    await expect(deleteModel('m1')).resolves.toBeUndefined();
    await setModelPricing('m1', { credits_cost: 3 });
    await searchModels('gpt 4');
    await getAdminConfig();
    await updateAdminConfig({ default_models: { llm: 'm1' }, cost_cap: null });
    expect(calls).toEqual([
      { url: '/api/v1/admin/providers', method: 'GET', body: undefined },
      { url: '/api/v1/admin/providers?page=2&limit=10', method: 'GET', body: undefined },
      {
        url: '/api/v1/admin/providers',
        method: 'POST',
        body: { name: 'DeepSeek', adapter: 'openai_compatible', base_url: 'https://api.deepseek.com/v1', api_key: 'sk-1' },
      },
      { url: '/api/v1/admin/providers/p%2F1', method: 'PATCH', body: { api_key: '' } },
      { url: '/api/v1/admin/providers/p1/enable', method: 'POST', body: undefined },
      { url: '/api/v1/admin/providers/p1/disable', method: 'POST', body: undefined },
      { url: '/api/v1/admin/providers/p1/test', method: 'POST', body: {} },
      { url: '/api/v1/admin/providers/p1/test', method: 'POST', body: { model_id: 'm1' } },
      { url: '/api/v1/models/m1', method: 'GET', body: undefined },
      {
        url: '/api/v1/models',
        method: 'POST',
        body: { name: 'Chat', provider: 'DeepSeek', provider_id: 'p1', model_name: 'deepseek-chat', kind: 'llm', credits_cost: 2, output_credits_cost: 4 },
      },
      { url: '/api/v1/models/m1', method: 'PUT', body: { is_active: false } },
      { url: '/api/v1/models/m1', method: 'DELETE', body: undefined },
      { url: '/api/v1/admin/models/m1/pricing', method: 'PUT', body: { credits_cost: 3 } },
      { url: '/api/v1/models/search?q=gpt+4', method: 'GET', body: undefined },
      { url: '/api/v1/admin/config', method: 'GET', body: undefined },
      { url: '/api/v1/admin/config', method: 'PATCH', body: { default_models: { llm: 'm1' }, cost_cap: null } },
    ]);
  });

  it('builds the model list query from the filters it was given', () => {
    expect(modelsListPath()).toBe('/api/v1/models');
    expect(modelsListPath({ kind: 'image', is_active: true, provider: 'Fake AI', sort_by: 'price', order: 'asc', page: 1, limit: 100 })).toBe(
      '/api/v1/models?page=1&limit=100&kind=image&provider=Fake+AI&is_active=true&sort_by=price&order=asc',
    );
    expect(modelsListPath({ is_active: false, search: '' })).toBe('/api/v1/models?is_active=false');
  });

  it('reads every page of models', async () => {
    const calls = install((url) => {
      const page = Number(new URL(url, 'http://x').searchParams.get('page'));
      const items = page === 1 ? [{ id: 'a' }, { id: 'b' }] : [{ id: 'c' }];
      return new Response(JSON.stringify({ items, total: 3, page, limit: 100, totalPages: 2 }), { status: 200 });
    });
    const all = await listAllModels({ kind: 'llm' });
    expect(all.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/models?page=1&limit=100&kind=llm', '/api/v1/models?page=2&limit=100&kind=llm']);
    await listModels({});
  });

  it('a 409 on deleting a default and a 422 on a default carry the server’s words and field', async () => {
    install((_url, method) =>
      method === 'DELETE'
        ? new Response(JSON.stringify({ detail: 'model m1 is the default llm model', error_code: 'CONFLICT', retryable: false }), { status: 409 })
        : new Response(
            JSON.stringify({ detail: 'not an active image model', error_code: 'VALIDATION_ERROR', retryable: false, field: 'default_models.image' }),
            { status: 422 },
          ),
    );
    const del = await deleteModel('m1').catch((e: unknown) => e);
    expect(del).toBeInstanceOf(ApiError);
    expect((del as ApiError).status).toBe(409);
    expect((del as ApiError).detail).toBe('model m1 is the default llm model');
    const cfg = await updateAdminConfig({ default_models: { image: 'x' } }).catch((e: unknown) => e);
    expect((cfg as ApiError).field).toBe('default_models.image');
  });
});
