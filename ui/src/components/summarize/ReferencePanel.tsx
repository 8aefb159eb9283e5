import { useState } from 'react';
import { loadOf } from '../../api/load';
import { useHistory } from '../../api/summarize';
import { useT } from '../../i18n';
import { CloseIcon } from '../Icons';
import { Pagination } from '../Pagination';
import { Analyzer } from './Analyzer';
import { HistoryList } from './HistoryList';
import type { ScriptTarget } from './ScriptDraft';
import './summarize.css';

/** How many of the project's earlier analyses the panel lists a page. */
export const PANEL_HISTORY_LIMIT = 8;

interface Props {
  projectId: string;
  canEdit: boolean;
  /** The script editor the beat sheet's draft may go into. */
  scriptTarget: ScriptTarget;
  onClose: () => void;
}

/**
 * "Analyze a reference video", beside the script editor: analyse one for this project, read its
 * summary, beats, mind map and transcript, start the script from its beats; and reopen the
 * project's earlier analyses.
 */
export function ReferencePanel({ projectId, canEdit, scriptTarget, onClose }: Props) {
  const t = useT();
  const [openId, setOpenId] = useState<string | null>(null);
  const [page, setPage] = useState(1);
  const history = loadOf(useHistory({ projectId, page, limit: PANEL_HISTORY_LIMIT }));
  return (
    <aside className="panel reference-panel" aria-labelledby="reference-panel-title" data-testid="reference-panel">
      <header className="reference-panel-head">
        <h2 id="reference-panel-title">{t('summarize.panel.title')}</h2>
        <button type="button" className="icon-button" aria-label={t('summarize.panel.close')} data-testid="close-reference-panel" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      <div className="reference-panel-body">
        <Analyzer projectId={projectId} canStart={canEdit} scriptTarget={canEdit ? scriptTarget : null} openId={openId} onOpenId={setOpenId} compact />
        <section className="reference-history" aria-labelledby="reference-history-title">
          <h3 id="reference-history-title">{t('summarize.panel.earlier')}</h3>
          {history.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
          {history.kind === 'error' && (
            <p className="form-error" role="alert">
              {history.message}
            </p>
          )}
          {history.kind === 'ready' && (
            <>
              <HistoryList items={history.data.items} openId={openId} onOpen={setOpenId} />
              <Pagination page={history.data.page} totalPages={history.data.totalPages} total={history.data.total} limit={history.data.limit} onPage={setPage} />
            </>
          )}
        </section>
      </div>
    </aside>
  );
}
