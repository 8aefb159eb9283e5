import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { assetDownloadUrl, restoreAsset, trashAsset } from '../../api/assets';
import { loadOf } from '../../api/load';
import { keys, useAssets } from '../../api/queries';
import { ASSET_TYPES, type Asset, type AssetStatus, type AssetType, type Page } from '../../api/types';
import { formatBytes, formatDateTime, formatNumber } from '../../lib/format';
import { useT } from '../../i18n';
import { assetTypeLabel } from '../../lib/editorLabels';
import { apiUrl, errorMessage } from '../../transport';
import { AlertIcon, DownloadIcon, RestoreIcon, TrashIcon } from '../Icons';
import { Pagination } from '../Pagination';
import { useToasts } from '../Toasts';
import { AssetModelLabel } from './AssetModelLabel';

const LIMIT = 50;

/** `view` is the view the data was loaded for: labels and actions follow it, not the toggle that
 * may already show the other view while it loads. */
type Load = { kind: 'loading' } | { kind: 'ready'; data: Page<Asset>; view: AssetStatus } | { kind: 'error'; message: string };

export function AssetsTab({ projectId }: { projectId: string; versionId: string }) {
  const t = useT();
  const toasts = useToasts();
  const [view, setView] = useState<AssetStatus>('active');
  const [type, setType] = useState<AssetType | 'all'>('all');
  const [page, setPage] = useState(1);
  const [busy, setBusy] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const assets = useAssets({ projectId, status: view, type, page, limit: LIMIT });
  const reload = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.assets.all }), [queryClient]);

  // The view the shown data was read for (the previous one while the other loads).
  const loadedView = useRef(view);
  if (assets.data && !assets.isPlaceholderData) loadedView.current = view;
  const read = assets.data;
  // Past the last page (e.g. after trashing its only asset): go to the last one there is.
  const pastEnd = !!read && read.items.length === 0 && page > 1;
  useEffect(() => {
    if (pastEnd && read) setPage(Math.max(1, read.totalPages));
  }, [pastEnd, read]);
  const assetsLoad = loadOf(assets);
  const load: Load =
    assetsLoad.kind === 'ready' ? (pastEnd ? { kind: 'loading' } : { kind: 'ready', data: assetsLoad.data, view: loadedView.current }) : assetsLoad;

  function drop(id: string) {
    queryClient.setQueriesData<Page<Asset>>({ queryKey: keys.assets.lists }, (d) =>
      d && d.items.some((a) => a.id === id) ? { ...d, items: d.items.filter((a) => a.id !== id), total: d.total - 1 } : d,
    );
  }

  async function trash(a: Asset) {
    setBusy(a.id);
    try {
      await trashAsset(a.id);
      drop(a.id);
      toasts.show({
        kind: 'info',
        message: t('assets.trashed', { name: a.filename }),
        duration: 10_000,
        action: { label: t('common.undo'), testId: 'undo-trash-asset', onClick: () => void restore(a, true) },
      });
      reload();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setBusy(null);
    }
  }

  async function restore(a: Asset, undo = false) {
    setBusy(a.id);
    try {
      await restoreAsset(a.id);
      if (!undo) drop(a.id);
      toasts.show({ kind: 'success', message: t('assets.restored', { name: a.filename }) });
      reload();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setBusy(null);
    }
  }

  const data = load.kind === 'ready' ? load.data : null;
  const shown = load.kind === 'ready' ? load.view : view;

  return (
    <div className="assets" data-testid="assets">
      <div className="toolbar">
        <div className="segmented" role="group" aria-label={t('assets.show')}>
          {(['active', 'trashed'] as const).map((v) => (
            <button
              key={v}
              type="button"
              className={`segment${view === v ? ' active' : ''}`}
              aria-pressed={view === v}
              data-testid={`asset-view-${v}`}
              onClick={() => {
                setView(v);
                setPage(1);
              }}
            >
              {v === 'active' ? t('assets.viewActive') : t('assets.viewTrashed')}
            </button>
          ))}
        </div>
        <label className="inline-field">
          <span>{t('assets.typeLabel')}</span>
          <select
            className="input input-sm select"
            data-testid="asset-type-filter"
            value={type}
            onChange={(e) => {
              setType(e.target.value as AssetType | 'all');
              setPage(1);
            }}
          >
            <option value="all">{t('assets.allTypes')}</option>
            {ASSET_TYPES.map((at) => (
              <option key={at} value={at}>
                {assetTypeLabel(at)}
              </option>
            ))}
          </select>
        </label>
        {data && (
          <span className="storyboard-summary" data-testid="asset-count">
            {t(shown === 'active' ? 'assets.count' : 'assets.trashCount', { count: data.total, formatted: formatNumber(data.total) })}
          </span>
        )}
      </div>

      <section className="panel">
        {load.kind === 'loading' && <span className="spinner" role="status" aria-label={t('assets.loading')} />}
        {load.kind === 'error' && (
          <div className="load-error" role="alert" data-testid="assets-error">
            <AlertIcon size={22} />
            <div>
              <h2>{t('assets.loadError')}</h2>
              <p>{load.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={reload}>
              {t('common.tryAgain')}
            </button>
          </div>
        )}
        {data && data.items.length === 0 && (
          <div className="empty-state" data-testid="assets-empty">
            <h2>{shown === 'active' ? t('assets.emptyActive') : t('assets.emptyTrash')}</h2>
            <p>{shown === 'active' ? t('assets.emptyActiveBody') : t('assets.emptyTrashBody')}</p>
          </div>
        )}
        {data && data.items.length > 0 && (
          <>
            <table className="asset-table" data-testid="asset-table">
              <thead>
                <tr>
                  <th scope="col">{t('assets.file')}</th>
                  <th scope="col">{t('assets.typeLabel')}</th>
                  <th scope="col" className="num">
                    {t('assets.size')}
                  </th>
                  <th scope="col">{shown === 'active' ? t('assets.added') : t('assets.trashedAt')}</th>
                  <th scope="col">
                    <span className="sr-only">{t('assets.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((a) => {
                  const thumb = apiUrl(a.thumbnail_url);
                  const when = shown === 'trashed' && a.trashed_at ? a.trashed_at : a.created_at;
                  return (
                    <tr key={a.id} data-testid="asset-row" data-asset-id={a.id} data-asset-type={a.type}>
                      <td>
                        <div className="asset-file">
                        {thumb ? <img className="asset-thumb" src={thumb} alt="" loading="lazy" /> : <span className="asset-thumb placeholder" aria-hidden="true" />}
                        <span className="asset-name-block">
                          <span className="asset-filename" data-testid="asset-filename" title={a.filename}>
                            {a.filename}
                          </span>
                          <AssetModelLabel metadata={a.metadata} />
                          {a.mime_type.startsWith('audio/') && (
                            <audio
                              className="asset-audio"
                              controls
                              preload="none"
                              src={assetDownloadUrl(a.id)}
                              aria-label={t('assets.play', { name: a.filename })}
                              data-testid="asset-audio"
                            />
                          )}
                        </span>
                        </div>
                      </td>
                      <td>{assetTypeLabel(a.type)}</td>
                      <td className="num">{formatBytes(a.filesize)}</td>
                      <td>
                        <time dateTime={when}>{formatDateTime(when)}</time>
                      </td>
                      <td>
                        <div className="asset-actions">
                        <a
                          className="icon-button"
                          href={assetDownloadUrl(a.id)}
                          download={a.filename}
                          aria-label={t('assets.downloadNamed', { name: a.filename })}
                          title={t('assets.download')}
                          data-testid="asset-download"
                        >
                          <DownloadIcon />
                        </a>
                        {shown === 'active' ? (
                          <button
                            type="button"
                            className="icon-button danger"
                            aria-label={t('assets.trashNamed', { name: a.filename })}
                            title={t('assets.trash')}
                            data-testid="asset-trash"
                            disabled={busy === a.id}
                            onClick={() => void trash(a)}
                          >
                            <TrashIcon />
                          </button>
                        ) : (
                          <button
                            type="button"
                            className="icon-button"
                            aria-label={t('assets.restoreNamed', { name: a.filename })}
                            title={t('assets.restore')}
                            data-testid="asset-restore"
                            disabled={busy === a.id}
                            onClick={() => void restore(a)}
                          >
                            <RestoreIcon />
                          </button>
                        )}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <Pagination page={data.page} totalPages={data.totalPages} total={data.total} limit={data.limit} onPage={setPage} />
          </>
        )}
      </section>
    </div>
  );
}
