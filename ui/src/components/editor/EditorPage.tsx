import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { keys, useProject, useVersions } from '../../api/queries';
import type { Project, Version } from '../../api/types';
import { createVersion, onVersionCountsChanged, setCurrentVersion } from '../../api/versions';
import { useT } from '../../i18n';
import { formatCount } from '../../lib/format';
import { isSaveShortcut } from '../../lib/keyboard';
import { navigate } from '../../lib/navigate';
import { EDITOR_TABS, tabOf, type EditorTab, type EditorTabName } from '../../lib/route';
import { errorMessage } from '../../transport';
import { AlertIcon, ChevronLeftIcon, FilmIcon, PlusIcon } from '../Icons';
import { SyncBadge } from '../sync/SyncBadge';
import { useToasts } from '../Toasts';
import { AssetsTab } from './AssetsTab';
import { CharactersTab } from './CharactersTab';
import { ExportDialog } from './ExportDialog';
import { ProjectSettingsDialog } from './ProjectSettingsDialog';
import { RunsTab } from './RunsTab';
import { ScriptTab, type FlushFn } from './ScriptTab';
import { StoryboardTab } from './StoryboardTab';

const TAB_LABELS = {
  script: 'editor.tabs.script',
  storyboard: 'editor.tabs.storyboard',
  characters: 'editor.tabs.characters',
  assets: 'editor.tabs.assets',
  runs: 'editor.tabs.runs',
} as const satisfies Record<EditorTabName, string>;

type Load =
  | { kind: 'loading' }
  | { kind: 'ready'; project: Project; versions: Version[] }
  | { kind: 'error'; message: string; notFound: boolean };

/** The id of the version the editor shows: the project's current one. */
function currentVersionId(project: Project, versions: Version[]): string | null {
  return project.current_version_id ?? versions.find((v) => v.is_current)?.id ?? versions[0]?.id ?? null;
}

export function EditorPage({ projectId, tab }: { projectId: string; tab: EditorTab }) {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const projectQuery = useProject(projectId);
  const versionsQuery = useVersions(projectId);
  // A failed re-read of the versions (after a parse) keeps the picker as it was.
  const failure = projectQuery.error ?? (versionsQuery.data ? null : versionsQuery.error);
  const load: Load = failure
    ? { kind: 'error', message: errorMessage(failure), notFound: (failure as { isNotFound?: boolean }).isNotFound === true }
    : projectQuery.data && versionsQuery.data
      ? { kind: 'ready', project: projectQuery.data, versions: versionsQuery.data.items }
      : { kind: 'loading' };
  const reload = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: keys.projects.one(projectId) });
    void queryClient.invalidateQueries({ queryKey: keys.versions(projectId) });
  }, [queryClient, projectId]);
  const [switching, setSwitching] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const flushRef = useRef<FlushFn | null>(null);

  // A parse or a storyboard edit changes the picker's scene/shot counts: re-read them (a burst of
  // edits is one request; stale counts are only cosmetic).
  useEffect(() => {
    let timer: number | undefined;
    const off = onVersionCountsChanged((changed) => {
      if (changed !== projectId) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void queryClient.invalidateQueries({ queryKey: keys.versions(projectId) }), 250);
    });
    return () => {
      off();
      window.clearTimeout(timer);
    };
  }, [projectId, queryClient]);

  /** Saves the script's pending edits; false (with a toast) when that failed. */
  const flushScript = useCallback(async (): Promise<boolean> => {
    const ok = (await flushRef.current?.()) ?? true;
    if (!ok) toasts.show({ kind: 'error', message: t('editor.unsavedScript') });
    return ok;
  }, [toasts, t]);

  async function goTo(next: EditorTab) {
    if (next === tab) return;
    if (next === 'runs' && tab === 'review') {
      navigate({ name: 'project', id: projectId, tab: next });
      return;
    }
    // The storyboard and characters come from the saved script: save it first.
    if (tab === 'script') await flushScript();
    navigate({ name: 'project', id: projectId, tab: next });
  }

  async function back() {
    if (!(await flushScript())) return;
    navigate({ name: 'projects' });
  }

  async function switchVersion(versionId: string) {
    if (!(await flushScript())) return;
    setSwitching(true);
    try {
      await setCurrentVersion(projectId, versionId);
      reload();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setSwitching(false);
    }
  }

  async function newVersion(from: string | null) {
    if (!(await flushScript())) return;
    setSwitching(true);
    try {
      const v = await createVersion(projectId, from ? { from_version_id: from } : {});
      toasts.show({ kind: 'success', message: t('editor.versionCreated', { number: v.number }) });
      reload();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setSwitching(false);
    }
  }

  // Ctrl/Cmd+S anywhere in the editor saves the script (instead of the browser's "Save page").
  useEffect(() => {
    function onKeyDown(e: KeyboardEvent) {
      if (e.defaultPrevented || !isSaveShortcut(e)) return;
      e.preventDefault();
      void flushRef.current?.();
    }
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);

  // Leaving the page with unsaved edits: let the browser ask.
  useEffect(() => {
    function onBeforeUnload(e: BeforeUnloadEvent) {
      if (flushRef.current?.dirty()) {
        void flushRef.current();
        e.preventDefault();
      }
    }
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, []);

  if (load.kind === 'loading') {
    return (
      <div className="page page-wide" data-testid="editor-loading">
        <span className="spinner" role="status" aria-label={t('editor.loading')} />
      </div>
    );
  }
  if (load.kind === 'error') {
    return (
      <div className="page page-wide">
        <section className="panel">
          <div className="load-error" role="alert" data-testid="editor-error">
            <AlertIcon size={22} />
            <div>
              <h2>{load.notFound ? t('editor.notFound') : t('editor.loadError')}</h2>
              <p>{load.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={() => navigate({ name: 'projects' })}>
              {t('editor.backToProjects')}
            </button>
          </div>
        </section>
      </div>
    );
  }

  const { project, versions } = load;
  const versionId = currentVersionId(project, versions);
  const version = versions.find((v) => v.id === versionId) ?? null;
  const shownTab = tabOf(tab);

  return (
    <div className="page page-wide editor" data-testid="editor" data-project-id={project.id} data-version-id={versionId ?? ''}>
      <header className="editor-header">
        <button type="button" className="button secondary back-button" onClick={() => void back()} data-testid="editor-back">
          <ChevronLeftIcon />
          {t('editor.back')}
        </button>
        <h1 className="editor-title" data-testid="editor-title" title={project.name}>
          {project.name}
        </h1>
        <div className="version-switcher" data-testid="version-switcher">
          <label htmlFor="version-select" className="version-label">
            {t('editor.version')}
          </label>
          <select
            id="version-select"
            className="input input-sm select"
            data-testid="version-select"
            value={versionId ?? ''}
            disabled={switching}
            onChange={(e) => void switchVersion(e.target.value)}
          >
            {versions.map((v) => (
              <option key={v.id} value={v.id}>
                {t(v.note ? 'editor.versionOptionNote' : 'editor.versionOption', {
                  number: v.number,
                  note: v.note ?? '',
                  scenes: formatCount('scene', v.scene_count),
                  shots: formatCount('shot', v.shot_count),
                })}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="button secondary"
            data-testid="new-version"
            disabled={switching}
            onClick={() => void newVersion(versionId)}
            title={t('editor.newVersionTitle')}
          >
            <PlusIcon />
            {t('editor.newVersion')}
          </button>
        </div>
        <SyncBadge projectId={project.id} />
        <button
          type="button"
          className="button secondary"
          data-testid="project-settings"
          onClick={() => setSettingsOpen(true)}
          title={t('editor.settingsTitle')}
        >
          <span aria-hidden="true">⚙</span>
          {t('editor.settings')}
        </button>
        <button
          type="button"
          className="button primary"
          data-testid="open-export"
          disabled={versionId === null}
          onClick={() => setExporting(true)}
          title={t('editor.exportTitle')}
        >
          <FilmIcon />
          {t('editor.export')}
        </button>
      </header>

      <div className="tabs" role="tablist" aria-label={t('editor.sections')}>
        {EDITOR_TABS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`tab-${name}`}
            aria-selected={shownTab === name}
            aria-controls={`panel-${name}`}
            tabIndex={shownTab === name ? 0 : -1}
            className={`tab${shownTab === name ? ' active' : ''}`}
            data-testid={`tab-${name}`}
            onClick={() => void goTo(name)}
            onKeyDown={(e) => {
              if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
              e.preventDefault();
              const i = EDITOR_TABS.indexOf(name);
              const next = EDITOR_TABS[(i + (e.key === 'ArrowRight' ? 1 : EDITOR_TABS.length - 1)) % EDITOR_TABS.length]!;
              void goTo(next).then(() => document.getElementById(`tab-${next}`)?.focus());
            }}
          >
            {t(TAB_LABELS[name])}
          </button>
        ))}
      </div>

      {versionId === null ? (
        <p className="muted">{t('editor.noVersion')}</p>
      ) : (
        <>
          {/* The script tab stays mounted (hidden) so its text, undo history and pending save survive tab switches. */}
          <div role="tabpanel" id="panel-script" aria-labelledby="tab-script" hidden={tab !== 'script'}>
            <ScriptTab
              key={versionId}
              projectId={project.id}
              versionId={versionId}
              flushRef={flushRef}
              onUploaded={reload}
            />
          </div>
          {tab !== 'script' && (
            <div role="tabpanel" id={`panel-${shownTab}`} aria-labelledby={`tab-${shownTab}`} key={`${shownTab}-${versionId}`}>
              {tab === 'storyboard' && <StoryboardTab projectId={project.id} versionId={versionId} aspectRatio={project.aspect_ratio} />}
              {tab === 'characters' && <CharactersTab projectId={project.id} />}
              {tab === 'assets' && <AssetsTab projectId={project.id} versionId={versionId} />}
              {shownTab === 'runs' && (
                <RunsTab projectId={project.id} versionId={versionId} view={tab === 'review' ? 'review' : 'run'} onExport={() => setExporting(true)} />
              )}
            </div>
          )}
        </>
      )}
      {version && <span className="sr-only">{t('editor.editingVersion', { number: version.number })}</span>}
      {settingsOpen && (
        <ProjectSettingsDialog
          project={project}
          onClose={() => setSettingsOpen(false)}
          onSaved={(p) => {
            queryClient.setQueryData(keys.projects.one(projectId), p);
            toasts.show({ kind: 'success', message: t('editor.settingsSaved') });
          }}
        />
      )}
      {exporting && versionId !== null && (
        <ExportDialog
          key={versionId}
          project={project}
          versionId={versionId}
          versionNumber={version?.number ?? null}
          onClose={() => setExporting(false)}
          onGoToRuns={() => {
            setExporting(false);
            void goTo('runs');
          }}
        />
      )}
    </div>
  );
}
