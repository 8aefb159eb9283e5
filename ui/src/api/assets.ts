import { apiUrl, request } from '../transport';
import { apiPath, query } from './paths';
import type { Asset, AssetStatus, AssetType, Page } from './types';

export interface AssetQuery {
  projectId: string;
  versionId?: string;
  type?: AssetType | 'all';
  status?: AssetStatus;
  page?: number;
  limit?: number;
}

export function assetsListPath(q: AssetQuery): string {
  return `/api/v1/assets${query({
    project_id: q.projectId,
    version_id: q.versionId,
    type: q.type === 'all' ? undefined : q.type,
    status: q.status ?? 'active',
    page: q.page ?? 1,
    limit: q.limit ?? 50,
  })}`;
}

export function listAssets(q: AssetQuery, signal?: AbortSignal): Promise<Page<Asset>> {
  return request<Page<Asset>>('GET', assetsListPath(q), undefined, signal);
}

const assetPath = (id: string) => apiPath('assets', id);

export function getAsset(id: string, signal?: AbortSignal): Promise<Asset> {
  return request<Asset>('GET', assetPath(id), undefined, signal);
}

export function trashAsset(id: string): Promise<Asset> {
  return request<Asset>('POST', `${assetPath(id)}/trash`);
}

export function restoreAsset(id: string): Promise<Asset> {
  return request<Asset>('POST', `${assetPath(id)}/restore`);
}

/** Where the browser downloads the asset's bytes. */
export function assetDownloadUrl(id: string): string {
  return apiUrl(`${assetPath(id)}/download`)!;
}
