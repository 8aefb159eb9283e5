import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { CREATION_KINDS, restoreCreationEntry, trashCreation, type CreationItem, type Tool } from '../../api/create';
import { t as translate, useLocale, useT } from '../../i18n';
import { changeCreationFilters, creationToolLabel, creditsUsedLabel, KIND_LABELS, toolFilterApplies, toolName, type CreationFilterChange, type CreationFilters } from '../../lib/create';
import { formatDateTime, formatNumber } from '../../lib/format';
import { errorMessage } from '../../transport';
import { canPublishKind } from '../../lib/publish';
import { RestoreIcon, TrashIcon, UploadIcon } from '../Icons';
import { useToasts, type ToastInput } from '../Toasts';

type Shown = Pick<CreationItem, 'id' | 'title'>;

/**
 * Trashes a creation and says so with a toast whose Undo brings it back (`restoreWithToast`).
 * Resolves true once it is in the trash.
 */
export async function trashWithUndo(queryClient: QueryClient, item: Shown, show: (toast: ToastInput) => void): Promise<boolean> {
  try {
    await trashCreation(queryClient, item.id);
  } catch (e) {
    show({ kind: 'error', message: errorMessage(e) });
    return false;
  }
  show({
    kind: 'info',
    message: translate('create.list.deleted', { title: item.title }),
    duration: 10_000,
    action: { label: translate('common.undo'), testId: 'undo-delete-creation', onClick: () => void restoreWithToast(queryClient, item, show) },
  });
  return true;
}

/** Brings a creation back from the trash (Undo, or Restore in the trash). Resolves true once it is back. */
export async function restoreWithToast(queryClient: QueryClient, item: Shown, show: (toast: ToastInput) => void): Promise<boolean> {
  try {
    await restoreCreationEntry(queryClient, item.id);
  } catch (e) {
    show({ kind: 'error', message: errorMessage(e) });
    return false;
  }
  show({ kind: 'success', message: translate('create.list.restored', { title: item.title }) });
  return true;
}

/** Trash (with Undo) and restore, with the page's toasts. */
export function useCreationTrash() {
  const toasts = useToasts();
  const queryClient = useQueryClient();
  return useMemo(
    () => ({
      trash: (item: Shown) => trashWithUndo(queryClient, item, toasts.show),
      restore: (item: Shown) => restoreWithToast(queryClient, item, toasts.show),
    }),
    [queryClient, toasts],
  );
}

interface FiltersProps {
  filters: CreationFilters;
  tools: readonly Tool[] | undefined;
  onChange: (filters: CreationFilters) => void;
  /** How many there are with these filters, once read. */
  total?: number | undefined;
}

/** Creations or the trash; the kind (all, writing, image, video, deck); the writing tool. */
export function CreationFiltersBar({ filters, tools, onChange, total }: FiltersProps) {
  const t = useT();
  const locale = useLocale();
  const change = (c: CreationFilterChange) => onChange(changeCreationFilters(filters, c));
  return (
    <div className="toolbar creations-toolbar" data-testid="creations-filters">
      <div className="segmented" role="group" aria-label={t('create.list.show')}>
        {([false, true] as const).map((trashed) => (
          <button
            key={String(trashed)}
            type="button"
            className={`segment${filters.trashed === trashed ? ' active' : ''}`}
            aria-pressed={filters.trashed === trashed}
            data-testid={trashed ? 'creations-view-trash' : 'creations-view-active'}
            onClick={() => change({ type: 'trashed', trashed })}
          >
            {trashed ? t('create.list.trash') : t('create.list.active')}
          </button>
        ))}
      </div>
      <label className="inline-field">
        <span>{t('create.list.kind')}</span>
        <select
          className="input input-sm select"
          data-testid="creations-kind-filter"
          value={filters.type}
          onChange={(e) => change({ type: 'kind', kind: e.target.value as CreationFilters['type'] })}
        >
          <option value="all">{t('create.list.allKinds')}</option>
          {CREATION_KINDS.map((k) => (
            <option key={k} value={k}>
              {KIND_LABELS[k]}
            </option>
          ))}
        </select>
      </label>
      {toolFilterApplies(filters.type) && tools && tools.length > 0 && (
        <label className="inline-field">
          <span>{t('create.list.tool')}</span>
          <select className="input input-sm select" data-testid="creations-tool-filter" value={filters.tool} onChange={(e) => change({ type: 'tool', tool: e.target.value })}>
            <option value="">{t('create.list.allTools')}</option>
            {tools.map((tool) => (
              <option key={tool.type} value={tool.type}>
                {toolName(tool, locale)}
              </option>
            ))}
          </select>
        </label>
      )}
      {total !== undefined && (
        <span className="storyboard-summary" data-testid="creations-count">
          {t(filters.trashed ? 'create.list.trashCount' : 'create.list.count', { count: total, formatted: formatNumber(total) })}
        </span>
      )}
    </div>
  );
}

interface ListProps {
  items: readonly CreationItem[];
  tools: readonly Tool[] | undefined;
  /** The list is the trash: Restore instead of Delete, and when each was deleted. */
  trashed: boolean;
  openId: string | null;
  onOpen: (id: string) => void;
  /** Absent: no Delete / Restore buttons (a viewer). */
  onDelete?: ((item: CreationItem) => void) | undefined;
  onRestore?: ((item: CreationItem) => void) | undefined;
  /** Absent: no Publish buttons. Shown for writing and video creations (not in the trash). */
  onPublish?: ((item: CreationItem) => void) | undefined;
  busyId?: string | null;
}

/** Creations: title, tool, excerpt, when, what it cost; open one, trash it (or restore it from the trash). */
export function CreationsList({ items, tools, trashed, openId, onOpen, onDelete, onRestore, onPublish, busyId = null }: ListProps) {
  const t = useT();
  const locale = useLocale();
  if (items.length === 0) {
    return (
      <div className="empty-state" data-testid="creations-empty">
        <h2>{trashed ? t('create.list.emptyTrash') : t('create.list.empty')}</h2>
        <p>{trashed ? t('create.list.emptyTrashBody') : t('create.list.emptyBody')}</p>
      </div>
    );
  }
  return (
    <ul className="creations-list" data-testid="creations-list">
      {items.map((item) => {
        const when = trashed && item.deleted_at ? item.deleted_at : item.created_at;
        return (
          <li key={item.id} className={`creation-row${item.id === openId ? ' current' : ''}`} data-testid="creation-item" data-id={item.id} data-tool={item.tool_type}>
            <button type="button" className="creation-row-open" data-testid="creation-open" aria-current={item.id === openId ? 'true' : undefined} onClick={() => onOpen(item.id)}>
              <span className="creation-row-title" data-testid="creation-item-title">
                {item.title}
              </span>
              <span className="creation-row-meta muted">
                <span data-testid="creation-item-tool">{creationToolLabel(item, tools, locale)}</span>
                {' · '}
                <time dateTime={when}>{trashed ? t('create.list.deletedAt', { when: formatDateTime(when) }) : formatDateTime(when)}</time>
                {' · '}
                <span data-testid="creation-item-credits">{creditsUsedLabel(item.credits_used)}</span>
              </span>
              {item.content && <span className="creation-row-excerpt">{item.content}</span>}
            </button>
            {!trashed && onPublish && canPublishKind(item.type) && (
              <button
                type="button"
                className="icon-button"
                aria-label={t('publish.publishNamed', { title: item.title })}
                title={t('publish.action')}
                data-testid="creation-publish"
                disabled={busyId === item.id}
                onClick={() => onPublish(item)}
              >
                <UploadIcon />
              </button>
            )}
            {trashed
              ? onRestore && (
                  <button
                    type="button"
                    className="icon-button"
                    aria-label={t('create.list.restore', { title: item.title })}
                    title={t('create.list.restoreShort')}
                    data-testid="creation-restore"
                    disabled={busyId === item.id}
                    onClick={() => onRestore(item)}
                  >
                    <RestoreIcon />
                  </button>
                )
              : onDelete && (
                  <button
                    type="button"
                    className="icon-button danger"
                    aria-label={t('create.list.delete', { title: item.title })}
                    title={t('common.delete')}
                    data-testid="creation-delete"
                    disabled={busyId === item.id}
                    onClick={() => onDelete(item)}
                  >
                    <TrashIcon />
                  </button>
                )}
          </li>
        );
      })}
    </ul>
  );
}
