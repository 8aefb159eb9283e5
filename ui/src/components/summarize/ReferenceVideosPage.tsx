import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { loadOf } from '../../api/load';
import { keys } from '../../api/queries';
import { useHistory } from '../../api/summarize';
import { useT } from '../../i18n';
import { AlertIcon } from '../Icons';
import { Pagination } from '../Pagination';
import { useCanEdit } from '../team/WorkspaceContext';
import { Analyzer } from './Analyzer';
import { BatchSection } from './BatchSection';
import { HistoryList, useTrashHistory } from './HistoryList';
import './summarize.css';

export const HISTORY_PAGE_LIMIT = 20;

/**
 * Reference videos: analyse one (the same form as the editor's panel), the workspace's history
 * of analyses (open one, trash one with Undo), and batches of up to 20 addresses.
 */
export function ReferenceVideosPage() {
  const t = useT();
  const queryClient = useQueryClient();
  const canEdit = useCanEdit();
  const [openId, setOpenId] = useState<string | null>(null);
  const [page, setPage] = useState(1);
  const [busyId, setBusyId] = useState<string | null>(null);
  const read = useHistory({ page, limit: HISTORY_PAGE_LIMIT });
  const history = loadOf(read);
  const trash = useTrashHistory((id) => setOpenId((o) => (o === id ? null : o)));

  // The last page emptied by a delete: show the one before it.
  const data = history.kind === 'ready' ? history.data : null;
  useEffect(() => {
    if (data && data.items.length === 0 && page > 1 && data.totalPages < page) setPage(Math.max(1, data.totalPages));
  }, [data, page]);

  function open(id: string) {
    setOpenId(id);
    document.getElementById('reference-analyzer')?.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
  }

  return (
    <div className="page reference-page" data-testid="reference-page">
      <header className="page-header">
        <div>
          <h1>{t('summarize.page.title')}</h1>
          <p className="page-subtitle">{t('summarize.page.subtitle')}</p>
        </div>
      </header>

      <section className="panel summarize-section" id="reference-analyzer" aria-labelledby="reference-analyze-title">
        <h2 id="reference-analyze-title">{t('summarize.page.analyze')}</h2>
        <Analyzer canStart={canEdit} scriptTarget={null} openId={openId} onOpenId={setOpenId} />
      </section>

      <section className="panel summarize-section" aria-labelledby="reference-history-title" data-testid="history-section">
        <h2 id="reference-history-title">{t('summarize.page.history')}</h2>
        {history.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
        {history.kind === 'error' && (
          <div className="load-error" role="alert" data-testid="history-error">
            <AlertIcon size={22} />
            <div>
              <h3>{t('summarize.history.loadError')}</h3>
              <p>{history.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={() => void queryClient.invalidateQueries({ queryKey: keys.summaries.lists })}>
              {t('common.tryAgain')}
            </button>
          </div>
        )}
        {data && (
          <>
            <HistoryList
              items={data.items}
              openId={openId}
              onOpen={open}
              busyId={busyId}
              onDelete={
                canEdit
                  ? (item) => {
                      setBusyId(item.id);
                      void trash(item).finally(() => setBusyId(null));
                    }
                  : undefined
              }
            />
            <Pagination page={data.page} totalPages={data.totalPages} total={data.total} limit={data.limit} onPage={setPage} />
          </>
        )}
      </section>

      <BatchSection canStart={canEdit} onOpen={open} />
    </div>
  );
}
