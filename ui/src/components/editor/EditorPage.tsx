import { useCallback, useEffect, useRef, useState } from 'react';
import { getProject } from '../../api/projects';
import type { Project, Version } from '../../api/types';
import { createVersion, listVersions, onVersionCountsChanged, setCurrentVersion } from '../../api/versions';
import { pluralize } from '../../lib/format';
import { isSaveShortcut } from '../../lib/keyboard';
import { navigate } from '../../lib/navigate';
import { EDITOR_TABS, tabOf, type EditorTab, type EditorTabName } from '../../lib/route';
import { errorMessage } from '../../transport';
import { AlertIcon, ChevronLeftIcon, FilmIcon, PlusIcon } from '../Icons';
import { useToasts } from '../Toasts';
import { AssetsTab } from './AssetsTab';
import { CharactersTab } from './CharactersTab';
import { ExportDialog } from './ExportDialog';
import { ProjectSettingsDialog } from './ProjectSettingsDialog';
import { RunsTab } from './RunsTab';
import { ScriptTab, type FlushFn } from './ScriptTab';
import { StoryboardTab } from './StoryboardTab';

const TAB_LABELS: Record<EditorTabName, string> = {
  script: 'Script',
  storyboard: 'Storyboard',
  characters: 'Characters',
  assets: 'Assets',
  runs: 'Runs',
};

type Load =
  | { kind: 'loading' }
  | { kind: 'ready'; project: Project; versions: Version[] }
  | { kind: 'error'; message: string; notFound: boolean };

/** The id of the version the editor shows: the project's current one. */
function currentVersionId(project: Project, versions: Version[]): string | null {
  return project.current_version_id ?? versions.find((v) => v.is_current)?.id ?? versions[0]?.id ?? null;
}

export function EditorPage({ projectId, tab }: { projectId: string; tab: EditorTab }) {
  const toasts = useToasts();
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [reloadKey, setReloadKey] = useState(0);
  const [switching, setSwitching] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const flushRef = useRef<FlushFn | null>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    Promise.all([getProject(projectId, ctrl.signal), listVersions(projectId, ctrl.signal)])
      .then(([project, versions]) => setLoad({ kind: 'ready', project, versions: versions.items }))
      .catch((e: unknown) => {
        if (ctrl.signal.aborted) return;
        setLoad({ kind: 'error', message: errorMessage(e), notFound: (e as { isNotFound?: boolean }).isNotFound === true });
      });
    return () => ctrl.abort();
  }, [projectId, reloadKey]);

  // A parse or a storyboard edit changes the picker's scene/shot counts: re-read them (a burst of
  // edits is one request).
  useEffect(() => {
    let timer: number | undefined;
    let ctrl: AbortController | null = null;
    const off = onVersionCountsChanged((changed) => {
      if (changed !== projectId) return;
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        ctrl?.abort();
        ctrl = new AbortController();
        listVersions(projectId, ctrl.signal)
          .then((page) => setLoad((s) => (s.kind === 'ready' ? { ...s, versions: page.items } : s)))
          .catch(() => {
            // Stale counts are only cosmetic; the next change or a reload tries again.
          });
      }, 250);
    });
    return () => {
      off();
      window.clearTimeout(timer);
      ctrl?.abort();
    };
  }, [projectId]);

  /** Saves the script's pending edits; false (with a toast) when that failed. */
  const flushScript = useCallback(async (): Promise<boolean> => {
    const ok = (await flushRef.current?.()) ?? true;
    if (!ok) toasts.show({ kind: 'error', message: 'The script has unsaved changes that could not be saved.' });
    return ok;
  }, [toasts]);

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
      setReloadKey((k) => k + 1);
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
      toasts.show({ kind: 'success', message: `Created version ${v.number}` });
      setReloadKey((k) => k + 1);
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
        <span className="spinner" role="status" aria-label="Loading the project" />
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
              <h2>{load.notFound ? 'This project does not exist (any more)' : 'Couldn’t open the project'}</h2>
              <p>{load.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={() => navigate({ name: 'projects' })}>
              Back to projects
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
          Projects
        </button>
        <h1 className="editor-title" data-testid="editor-title" title={project.name}>
          {project.name}
        </h1>
        <div className="version-switcher" data-testid="version-switcher">
          <label htmlFor="version-select" className="version-label">
            Version
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
                {`v${v.number}${v.note ? ` · ${v.note}` : ''} · ${pluralize(v.scene_count, 'scene')} · ${pluralize(v.shot_count, 'shot')}`}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="button secondary"
            data-testid="new-version"
            disabled={switching}
            onClick={() => void newVersion(versionId)}
            title="Copy the current version (script, scenes, shots) into a new version and switch to it"
          >
            <PlusIcon />
            New version
          </button>
        </div>
        <button
          type="button"
          className="button secondary"
          data-testid="project-settings"
          onClick={() => setSettingsOpen(true)}
          title="Name, aspect ratio and cost cap"
        >
          <span aria-hidden="true">⚙</span>
          Settings
        </button>
        <button
          type="button"
          className="button primary"
          data-testid="open-export"
          disabled={versionId === null}
          onClick={() => setExporting(true)}
          title="Export this version’s latest completed run as a video"
        >
          <FilmIcon />
          Export
        </button>
      </header>

      <div className="tabs" role="tablist" aria-label="Editor sections">
        {EDITOR_TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={shownTab === t}
            aria-controls={`panel-${t}`}
            tabIndex={shownTab === t ? 0 : -1}
            className={`tab${shownTab === t ? ' active' : ''}`}
            data-testid={`tab-${t}`}
            onClick={() => void goTo(t)}
            onKeyDown={(e) => {
              if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
              e.preventDefault();
              const i = EDITOR_TABS.indexOf(t);
              const next = EDITOR_TABS[(i + (e.key === 'ArrowRight' ? 1 : EDITOR_TABS.length - 1)) % EDITOR_TABS.length]!;
              void goTo(next).then(() => document.getElementById(`tab-${next}`)?.focus());
            }}
          >
            {TAB_LABELS[t]}
          </button>
        ))}
      </div>

      {versionId === null ? (
        <p className="muted">This project has no version yet.</p>
      ) : (
        <>
          {/* The script tab stays mounted (hidden) so its text, undo history and pending save survive tab switches. */}
          <div role="tabpanel" id="panel-script" aria-labelledby="tab-script" hidden={tab !== 'script'}>
            <ScriptTab
              key={versionId}
              projectId={project.id}
              versionId={versionId}
              flushRef={flushRef}
              onUploaded={() => setReloadKey((k) => k + 1)}
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
      {version && <span className="sr-only">Editing version {version.number}</span>}
      {settingsOpen && (
        <ProjectSettingsDialog
          project={project}
          onClose={() => setSettingsOpen(false)}
          onSaved={(p) => {
            setLoad((s) => (s.kind === 'ready' ? { ...s, project: p } : s));
            toasts.show({ kind: 'success', message: 'Project settings saved' });
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
