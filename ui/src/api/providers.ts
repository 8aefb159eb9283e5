/**
 * The AI registry (docs/API-PROVIDERS.md): providers (connections) and the global configuration
 * for instance admins (`/admin/providers`, `/admin/config`), and the model catalog (`/models`,
 * read by anyone signed in, written by admins, priced through `/admin/models/{id}/pricing`).
 */
import { request } from '../transport';
import { apiPath, query } from './paths';
import type {
  AdminConfig,
  AdminConfigPatch,
  Model,
  ModelPatch,
  ModelPricing,
  ModelQuery,
  NewModel,
  NewProvider,
  Page,
  Provider,
  ProviderPatch,
  ProviderTestResult,
} from './types';

export const PROVIDERS_PATH = '/api/v1/admin/providers';
export const MODELS_PATH = '/api/v1/models';
export const CONFIG_PATH = '/api/v1/admin/config';

/** The most items one list request asks for. */
export const MAX_LIMIT = 100;

export function listProviders(q: { page?: number; limit?: number } = {}, signal?: AbortSignal): Promise<Page<Provider>> {
  return request<Page<Provider>>('GET', `${PROVIDERS_PATH}${query({ page: q.page, limit: q.limit })}`, undefined, signal);
}

export function createProvider(input: NewProvider): Promise<Provider> {
  return request<Provider>('POST', PROVIDERS_PATH, input);
}

export function updateProvider(id: string, patch: ProviderPatch): Promise<Provider> {
  return request<Provider>('PATCH', apiPath('admin', 'providers', id), patch);
}

export function setProviderEnabled(id: string, enabled: boolean): Promise<Provider> {
  return request<Provider>('POST', `${apiPath('admin', 'providers', id)}/${enabled ? 'enable' : 'disable'}`);
}

/** A real minimal call to the provider (default: its first active model). */
export function testProvider(id: string, modelId?: string, signal?: AbortSignal): Promise<ProviderTestResult> {
  return request<ProviderTestResult>('POST', `${apiPath('admin', 'providers', id)}/test`, modelId ? { model_id: modelId } : {}, signal);
}

export function modelsListPath(q: ModelQuery = {}): string {
  return `${MODELS_PATH}${query({
    page: q.page,
    limit: q.limit,
    kind: q.kind,
    category: q.category,
    provider: q.provider,
    is_active: q.is_active === undefined ? undefined : String(q.is_active),
    search: q.search,
    sort_by: q.sort_by,
    order: q.order,
  })}`;
}

export function listModels(q: ModelQuery = {}, signal?: AbortSignal): Promise<Page<Model>> {
  return request<Page<Model>>('GET', modelsListPath(q), undefined, signal);
}

/** Every model matching `q`, page after page (the registry holds tens, not thousands). */
export async function listAllModels(q: Omit<ModelQuery, 'page' | 'limit'> = {}, signal?: AbortSignal): Promise<Model[]> {
  const all: Model[] = [];
  for (let page = 1; page <= 50; page++) {
    const res = await listModels({ ...q, page, limit: MAX_LIMIT }, signal);
    all.push(...res.items);
    if (res.items.length === 0 || page >= res.totalPages) break;
  }
  return all;
}

export function searchModels(q: string, signal?: AbortSignal): Promise<Page<Model>> {
  return request<Page<Model>>('GET', `${MODELS_PATH}/search${query({ q })}`, undefined, signal);
}

export function getModel(id: string, signal?: AbortSignal): Promise<Model> {
  return request<Model>('GET', apiPath('models', id), undefined, signal);
}

export function createModel(input: NewModel): Promise<Model> {
  return request<Model>('POST', MODELS_PATH, input);
}

export function updateModel(id: string, patch: ModelPatch): Promise<Model> {
  return request<Model>('PUT', apiPath('models', id), patch);
}

/** 409 while the model is a default. */
export function deleteModel(id: string): Promise<void> {
  return request<void>('DELETE', apiPath('models', id));
}

export function setModelPricing(id: string, pricing: ModelPricing): Promise<Model> {
  return request<Model>('PUT', apiPath('admin', 'models', id, 'pricing'), pricing);
}

export function getAdminConfig(signal?: AbortSignal): Promise<AdminConfig> {
  return request<AdminConfig>('GET', CONFIG_PATH, undefined, signal);
}

/** 422 naming `default_models.<kind>` when a default is not an active model of that kind on an enabled provider. */
export function updateAdminConfig(patch: AdminConfigPatch): Promise<AdminConfig> {
  return request<AdminConfig>('PATCH', CONFIG_PATH, patch);
}
