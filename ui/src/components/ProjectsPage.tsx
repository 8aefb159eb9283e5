import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Load } from '../api/load';
import { keys, useProjects } from '../api/queries';
import {
  DEFAULT_PAGE_LIMIT,
  createProject,
  deleteProject,
  restoreProject,
  updateProject,
  type StatusFilter,
} from '../api/projects';
import { PROJECT_STATUSES, type Page, type Project } from '../api/types';
import { useT } from '../i18n';
import { isNewProjectShortcut } from '../lib/keyboard';
import { navigate } from '../lib/navigate';
import { formatCount, statusLabel } from '../lib/format';
import { ApiError, errorMessage } from '../transport';
import { ConfirmDeleteDialog } from './ConfirmDeleteDialog';
import { EmptyState } from './EmptyState';
import { AlertIcon, FileTextIcon, PlusIcon } from './Icons';
import { NewProjectDialog } from './NewProjectDialog';
import { Pagination } from './Pagination';
import { ProjectRow } from './ProjectRow';
import { SamplesDialog } from './SamplesDialog';
import { useToasts } from './Toasts';
import { useCanEdit, useWorkspace } from './team/WorkspaceContext';

const FILTERS: StatusFilter[] = ['all', ...PROJECT_STATUSES];

function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const t = window.setInterval(() => setNow(new Date()), intervalMs);
    return () => window.clearInterval(t);
  }, [intervalMs]);
  return now;
}

export function ProjectsPage() {
  const t = useT();
  const toasts = useToasts();
  const [filter, setFilter] = useState<StatusFilter>('all');
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Project | null>(null);
  const [renamingId, setRenamingId] = useState<string | null>(null);
  const [showSamples, setShowSamples] = useState(false);
  const now = useNow(30_000);
  const queryClient = useQueryClient();
  const projects = useProjects({ page, limit: DEFAULT_PAGE_LIMIT, status: filter });
  const refreshing = projects.isFetching;
  const reload = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.projects.all }), [queryClient]);

  // What the list shows: the latest page read, kept when a later read fails (a toast says why).
  const lastData = useRef<Page<Project> | null>(null);
  const fresh = projects.data;
  // Past the last page (e.g. after deleting its only row): go to the last one there is.
  const pastEnd = !!fresh && fresh.items.length === 0 && page > 1;
  if (fresh && !pastEnd) lastData.current = fresh;
  useEffect(() => {
    if (pastEnd && fresh) setPage(Math.max(1, fresh.totalPages));
  }, [pastEnd, fresh]);
  const failure = projects.error;
  useEffect(() => {
    if (failure && lastData.current) toasts.show({ kind: 'error', message: errorMessage(failure) });
  }, [failure, toasts]);
  const load: Load<Page<Project>> = lastData.current
    ? { kind: 'ready', data: lastData.current }
    : failure
      ? { kind: 'error', message: errorMessage(failure) }
      : { kind: 'loading' };

  const dialogOpen = creating || deleting !== null || showSamples;
  const canEdit = useCanEdit();
  const workspace = useWorkspace();

  useEffect(() => {
    function onKeyDown(e: KeyboardEvent) {
      if (canEdit && isNewProjectShortcut(e, dialogOpen)) {
        e.preventDefault();
        setCreating(true);
      }
    }
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [dialogOpen, canEdit]);

  const showError = useCallback((message: string) => toasts.show({ kind: 'error', message }), [toasts]);

  const openProject = useCallback((p: Project) => navigate({ name: 'project', id: p.id, tab: 'script' }), []);

  const onSampleOpened = useCallback(
    (p: Project) => {
      toasts.show({ kind: 'success', message: t('projects.sampleOpened', { name: p.name }) });
      openProject(p);
    },
    [openProject, toasts, t],
  );

  const onCreated = useCallback(
    (p: Project) => {
      toasts.show({ kind: 'success', message: t('projects.created', { name: p.name }) });
      if (filter !== 'all' && filter !== p.status) setFilter('all');
      setPage(1);
      reload();
    },
    [filter, reload, toasts, t],
  );

  async function rename(project: Project, name: string) {
    try {
      const updated = await updateProject(project.id, { name });
      queryClient.setQueriesData<Page<Project>>({ queryKey: keys.projects.lists }, (d) =>
        d ? { ...d, items: d.items.map((p) => (p.id === updated.id ? updated : p)) } : d,
      );
      toasts.show({ kind: 'success', message: t('projects.renamed', { name: updated.name }) });
      reload();
    } catch (e) {
      if (!(e instanceof ApiError && e.field)) showError(errorMessage(e));
      if (e instanceof ApiError && e.isNotFound) {
        setRenamingId(null);
        reload();
      }
      throw e;
    }
  }

  async function undoDelete(project: Project) {
    try {
      const restored = await restoreProject(project.id);
      toasts.show({ kind: 'success', message: t('projects.restored', { name: restored.name }) });
      reload();
    } catch (e) {
      showError(errorMessage(e));
    }
  }

  async function confirmDelete(project: Project) {
    try {
      await deleteProject(project.id);
    } catch (e) {
      showError(errorMessage(e));
      if (e instanceof ApiError && e.isNotFound) {
        reload();
        return; // already gone: close the dialog
      }
      throw e;
    }
    if (renamingId === project.id) setRenamingId(null);
    queryClient.setQueriesData<Page<Project>>({ queryKey: keys.projects.lists }, (d) =>
      d && d.items.some((p) => p.id === project.id)
        ? { ...d, items: d.items.filter((p) => p.id !== project.id), total: d.total - 1 }
        : d,
    );
    toasts.show({
      kind: 'info',
      message: t('projects.deleted', { name: project.name }),
      duration: 10_000,
      action: { label: t('common.undo'), testId: 'undo-delete', onClick: () => void undoDelete(project) },
    });
    reload();
  }

  const data = load.kind === 'ready' ? load.data : null;
  const total = data?.total ?? 0;

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>{t('projects.title')}</h1>
          <p className="page-subtitle" data-testid="project-count">
            {data
              ? filter === 'all'
                ? formatCount('project', total)
                : `${formatCount('project', total)} · ${statusLabel(filter)}`
              : '\u00a0'}
          </p>
        </div>
        <div className="header-actions">
          {!canEdit && workspace && (
            <span className="read-only-note" data-testid="read-only-note">
              {t(workspace.current.role === 'reviewer' ? 'projects.readOnlyReviewer' : 'projects.readOnlyViewer', {
                role: t(`roles.${workspace.current.role}` as never),
                workspace: workspace.current.name,
              })}
            </span>
          )}
          {canEdit && data && data.total > 0 && (
            <button
              type="button"
              className="button secondary"
              onClick={() => setShowSamples(true)}
              data-testid="open-samples"
            >
              <FileTextIcon />
              {t('projects.samples')}
            </button>
          )}
          {canEdit && (
            <button type="button" className="button primary" onClick={() => setCreating(true)} data-testid="new-project">
              <PlusIcon />
              {t('projects.newProject')}
              <kbd className="kbd-hint" aria-hidden="true">
                N
              </kbd>
            </button>
          )}
        </div>
      </header>

      <div className="toolbar">
        <div className="segmented" role="group" aria-label={t('projects.filterByStatus')} data-testid="status-filter">
          {FILTERS.map((f) => (
            <button
              key={f}
              type="button"
              className={`segment${filter === f ? ' active' : ''}`}
              aria-pressed={filter === f}
              data-testid={`filter-${f}`}
              onClick={() => {
                setFilter(f);
                setPage(1);
              }}
            >
              {f === 'all' ? t('projects.all') : statusLabel(f)}
            </button>
          ))}
        </div>
        {refreshing && data && <span className="spinner" role="status" aria-label={t('common.loading')} />}
      </div>

      <section className="panel" aria-busy={load.kind === 'loading'}>
        {load.kind === 'loading' && <SkeletonList />}
        {load.kind === 'error' && (
          <div className="load-error" role="alert" data-testid="load-error">
            <AlertIcon size={22} />
            <div>
              <h2>{t('projects.loadFailed')}</h2>
              <p>{load.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={reload}>
              {t('common.tryAgain')}
            </button>
          </div>
        )}
        {data && data.items.length === 0 && (
          <EmptyState
            filter={filter}
            readOnly={!canEdit}
            onCreate={() => setCreating(true)}
            onShowAll={() => {
              setFilter('all');
              setPage(1);
            }}
            onSampleOpened={onSampleOpened}
            onError={showError}
          />
        )}
        {data && data.items.length > 0 && (
          <>
            <div className="list-header" aria-hidden="true">
              <span>{t('projects.colName')}</span>
              <span>{t('projects.colFormat')}</span>
              <span>{t('projects.colStatus')}</span>
              <span>{t('projects.colUpdated')}</span>
              <span />
            </div>
            <ul className={`project-list${refreshing ? ' refreshing' : ''}`} data-testid="project-list">
              {data.items.map((p) => (
                <ProjectRow
                  key={p.id}
                  project={p}
                  now={now}
                  editing={renamingId === p.id}
                  onStartRename={() => setRenamingId(p.id)}
                  onEndRename={() => setRenamingId((id) => (id === p.id ? null : id))}
                  onRename={(name) => rename(p, name)}
                  onDelete={() => setDeleting(p)}
                  onOpen={() => openProject(p)}
                />
              ))}
            </ul>
            <Pagination
              page={data.page}
              totalPages={data.totalPages}
              total={data.total}
              limit={data.limit}
              onPage={(n) => {
                setRenamingId(null);
                setPage(n);
                document.getElementById('main')?.scrollTo({ top: 0 });
              }}
            />
          </>
        )}
      </section>

      {creating && (
        <NewProjectDialog
          onClose={() => setCreating(false)}
          onCreate={createProject}
          onCreated={onCreated}
          onError={showError}
        />
      )}
      {showSamples && (
        <SamplesDialog onClose={() => setShowSamples(false)} onOpened={onSampleOpened} onError={showError} />
      )}
      {deleting && (
        <ConfirmDeleteDialog
          project={deleting}
          onClose={() => setDeleting(null)}
          onConfirm={() => confirmDelete(deleting)}
        />
      )}
    </div>
  );
}

function SkeletonList() {
  return (
    <ul className="project-list skeleton" data-testid="loading">
      {[0, 1, 2].map((i) => (
        <li key={i} className="project-row">
          <div className="cell-name">
            <div className="thumb sk" />
            <div className="name-block">
              <span className="sk sk-line" style={{ width: `${40 + i * 12}%` }} />
              <span className="sk sk-line sk-thin" style={{ width: `${60 - i * 10}%` }} />
            </div>
          </div>
        </li>
      ))}
    </ul>
  );
}
