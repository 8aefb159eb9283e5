import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useCreations, useWritingTools, type CreationItem } from '../../api/create';
import { loadOf } from '../../api/load';
import { keys } from '../../api/queries';
import { useT } from '../../i18n';
import { changeCreationFilters, creationsQuery, DEFAULT_CREATION_FILTERS, type CreationFilters } from '../../lib/create';
import { routeHash } from '../../lib/route';
import { AlertIcon, PlusIcon } from '../Icons';
import { Pagination } from '../Pagination';
import { useCanEdit } from '../team/WorkspaceContext';
import { CreationFiltersBar, CreationsList, useCreationTrash } from './CreationsList';
import { CreationView } from './CreationView';
import { PublishDialog, type PublishTarget } from '../publish/PublishDialog';
import './create.css';

/**
 * Creations: what the creator tools made, newest first, by kind and tool, a page at a time; open
 * one to read, edit, copy it (or open a video script as a project); Delete moves it to the trash
 * with Undo, and the trash lists them with Restore. A writing or video creation can be published
 * (the Publish dialog; its jobs are in `#/publish`).
 */
export function CreationsPage({ initialFilters = DEFAULT_CREATION_FILTERS }: { initialFilters?: CreationFilters } = {}) {
  const t = useT();
  const queryClient = useQueryClient();
  const canEdit = useCanEdit();
  const [filters, setFilters] = useState<CreationFilters>(initialFilters);
  const [openId, setOpenId] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [publishing, setPublishing] = useState<PublishTarget | null>(null);
  const tools = useWritingTools().data;
  const read = useCreations(creationsQuery(filters));
  const list = loadOf(read);
  const { trash, restore } = useCreationTrash();

  // The last page emptied by a delete or a restore: show the one before it.
  const data = list.kind === 'ready' ? list.data : null;
  useEffect(() => {
    if (data && data.items.length === 0 && filters.page > 1 && data.totalPages < filters.page) {
      setFilters((f) => changeCreationFilters(f, { type: 'page', page: Math.max(1, data.totalPages) }));
    }
  }, [data, filters.page]);

  // Stacked under the list on a narrow window: bring the opened creation into view.
  useEffect(() => {
    if (openId) document.querySelector('[data-testid="creation-view"]')?.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
  }, [openId]);

  /** Trashes or restores one; either way it leaves the list shown, so its view closes. */
  function run(item: Pick<CreationItem, 'id' | 'title'>, action: typeof trash) {
    setBusyId(item.id);
    void action(item)
      .then((ok) => {
        if (ok) setOpenId((o) => (o === item.id ? null : o));
      })
      .finally(() => setBusyId(null));
  }

  const onDelete = canEdit ? (item: Pick<CreationItem, 'id' | 'title'>) => run(item, trash) : undefined;
  const onRestore = canEdit ? (item: Pick<CreationItem, 'id' | 'title'>) => run(item, restore) : undefined;
  const onPublish = canEdit ? (item: Pick<CreationItem, 'id' | 'title' | 'type'>) => setPublishing({ id: item.id, title: item.title, type: item.type }) : undefined;

  return (
    <div className="page creations-page" data-testid="creations-page">
      <header className="page-header">
        <div>
          <h1>{t('create.list.title')}</h1>
          <p className="page-subtitle">{t('create.list.subtitle')}</p>
        </div>
        <a className="button primary" href={routeHash({ name: 'create' })} data-testid="new-creation">
          <PlusIcon />
          {t('create.list.new')}
        </a>
      </header>

      <CreationFiltersBar
        filters={filters}
        tools={tools}
        total={data?.total}
        onChange={(f) => {
          setFilters(f);
          if (f.trashed !== filters.trashed) setOpenId(null);
        }}
      />

      <div className={`creations-layout${openId ? ' with-view' : ''}`}>
        <section className="panel create-section" aria-label={t('create.list.title')} data-testid="creations-section">
          {list.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
          {list.kind === 'error' && (
            <div className="load-error" role="alert" data-testid="creations-error">
              <AlertIcon size={22} />
              <div>
                <h3>{t('create.list.loadError')}</h3>
                <p>{list.message}</p>
              </div>
              <button type="button" className="button secondary" onClick={() => void queryClient.invalidateQueries({ queryKey: keys.creations.lists })}>
                {t('common.tryAgain')}
              </button>
            </div>
          )}
          {data && (
            <>
              <CreationsList
                items={data.items}
                tools={tools}
                trashed={filters.trashed}
                openId={openId}
                onOpen={setOpenId}
                busyId={busyId}
                onDelete={onDelete}
                onRestore={onRestore}
                onPublish={onPublish}
              />
              <Pagination
                page={data.page}
                totalPages={data.totalPages}
                total={data.total}
                limit={data.limit}
                onPage={(page) => setFilters((f) => changeCreationFilters(f, { type: 'page', page }))}
              />
            </>
          )}
        </section>
        {openId && (
          <CreationView
            key={openId}
            id={openId}
            tools={tools}
            canEdit={canEdit}
            busy={busyId === openId}
            onClose={() => setOpenId(null)}
            onDelete={onDelete}
            onRestore={onRestore}
            onPublish={onPublish}
          />
        )}
      </div>
      {publishing && <PublishDialog creation={publishing} onClose={() => setPublishing(null)} />}
    </div>
  );
}
