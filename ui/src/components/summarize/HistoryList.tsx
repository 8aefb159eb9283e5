import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import type { HistoryItem } from '../../api/summarize';
import { restoreHistoryEntry, trashHistoryEntry } from '../../api/summarize';
import { useLocale, useT } from '../../i18n';
import { formatCount, formatDateTime } from '../../lib/format';
import { formatClock, MODE_LABELS, SOURCE_LABELS } from '../../lib/summarize';
import { errorMessage } from '../../transport';
import { TrashIcon } from '../Icons';
import { useToasts } from '../Toasts';

interface Props {
  items: readonly HistoryItem[];
  /** The entry shown now (marked). */
  openId: string | null;
  onOpen: (id: string) => void;
  /** Moves an entry to the trash (absent: no delete buttons). */
  onDelete?: ((item: HistoryItem) => void) | undefined;
  busyId?: string | null;
}

/** Earlier analyses: title, source, mode, length, beats, cost, when; open one, or trash it. */
export function HistoryList({ items, openId, onOpen, onDelete, busyId = null }: Props) {
  const t = useT();
  useLocale();
  if (items.length === 0) {
    return (
      <p className="muted" data-testid="history-empty">
        {t('summarize.history.empty')}
      </p>
    );
  }
  return (
    <ul className="history-list" data-testid="history-list">
      {items.map((item) => (
        <li key={item.id} className={`history-item${item.id === openId ? ' current' : ''}`} data-testid="history-item" data-id={item.id}>
          <button type="button" className="history-open" data-testid="history-open" aria-current={item.id === openId ? 'true' : undefined} onClick={() => onOpen(item.id)}>
            <span className="history-title">{item.title || item.source_name}</span>
            <span className="history-meta muted">
              {MODE_LABELS[item.mode] ?? item.mode}
              {' · '}
              {SOURCE_LABELS[item.transcript_source] ?? item.transcript_source}
              {typeof item.duration_ms === 'number' && <> · {formatClock(item.duration_ms)}</>}
              {' · '}
              {t('summarize.history.beats', { count: item.beat_count })}
              {' · '}
              <span data-testid="history-cost">
                {item.cached ? t('summarize.result.cacheHit') : t('summarize.result.charged', { credits: formatCount('credit', item.credits_charged) })}
              </span>
              {' · '}
              {formatDateTime(item.created_at)}
            </span>
            {item.excerpt && <span className="history-excerpt">{item.excerpt}</span>}
          </button>
          {onDelete && (
            <button
              type="button"
              className="icon-button danger"
              aria-label={t('summarize.history.delete', { title: item.title || item.source_name })}
              data-testid="history-delete"
              disabled={busyId === item.id}
              onClick={() => onDelete(item)}
            >
              <TrashIcon />
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

/** Trashing an entry, with a toast whose Undo brings it back. */
export function useTrashHistory(onTrashed?: (id: string) => void) {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const restore = useCallback(
    async (item: HistoryItem) => {
      try {
        await restoreHistoryEntry(queryClient, item.id);
        toasts.show({ kind: 'success', message: t('summarize.history.restored', { title: item.title || item.source_name }) });
      } catch (e) {
        toasts.show({ kind: 'error', message: errorMessage(e) });
      }
    },
    [queryClient, toasts, t],
  );
  return useCallback(
    async (item: HistoryItem) => {
      try {
        await trashHistoryEntry(queryClient, item.id);
      } catch (e) {
        toasts.show({ kind: 'error', message: errorMessage(e) });
        return;
      }
      onTrashed?.(item.id);
      toasts.show({
        kind: 'info',
        message: t('summarize.history.deleted', { title: item.title || item.source_name }),
        duration: 10_000,
        action: { label: t('common.undo'), testId: 'undo-delete-summary', onClick: () => void restore(item) },
      });
    },
    [queryClient, toasts, t, restore, onTrashed],
  );
}
