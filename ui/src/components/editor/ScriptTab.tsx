import { useQueryClient } from '@tanstack/react-query';
import { lazy, memo, Suspense, useCallback, useEffect, useMemo, useRef, useState, type MutableRefObject } from 'react';
import {
  formatBytes,
  getScript,
  LARGE_SCRIPT_CHARS,
  parseScript,
  previewScript,
  saveScript,
  SCRIPT_FILE_ACCEPT,
  SCRIPT_MAX_BYTES,
  scriptSize,
  tooLargeMessage,
  uploadScript,
  type ScriptSize,
} from '../../api/script';
import { keys, useScriptDoc } from '../../api/queries';
import type { Breakdown, ParseResult, ScriptDocument } from '../../api/types';
import { AutoSaver, type SaveState } from '../../lib/autosave';
import { Trans, i18n, useT } from '../../i18n';
import { formatCount, formatNumber } from '../../lib/format';
import { errorMessage } from '../../transport';
import { AlertIcon, CheckIcon, FilmIcon, UploadIcon } from '../Icons';
import { useToasts } from '../Toasts';
import { useCanEdit } from '../team/WorkspaceContext';
import { BreakdownPanel } from './BreakdownPanel';
// CodeMirror is about a third of the UI's code: it loads when a script is first opened, not with
// the project list.
const ScriptEditor = lazy(() => import('./ScriptEditor').then((m) => ({ default: m.ScriptEditor })));
// The reference-video panel loads when first opened.
const ReferencePanel = lazy(() => import('../summarize/ReferencePanel').then((m) => ({ default: m.ReferencePanel })));

export const SAVE_DELAY_MS = 1000;
export const PREVIEW_DELAY_MS = 300;

// Typing re-renders this tab on every key; the breakdown (thousands of scenes for a long script)
// re-renders only when it changes.
const MemoBreakdownPanel = memo(BreakdownPanel);

/** Saves pending edits now; `dirty()` tells whether there are any. */
export interface FlushFn {
  (): Promise<boolean>;
  dirty(): boolean;
}

type Load = { kind: 'loading' } | { kind: 'ready' } | { kind: 'error'; message: string };
type PreviewState = 'idle' | 'updating' | 'error';

const EMPTY_BREAKDOWN: Breakdown = {
  title: null,
  metadata: [],
  episodes: [],
  scenes: [],
  shots: [],
  characters: [],
  notes: [],
  warnings: [],
  total_duration_secs: 0,
};

interface Props {
  projectId: string;
  versionId: string;
  flushRef: MutableRefObject<FlushFn | null>;
  onUploaded: () => void;
}

export function ScriptTab({ projectId, versionId, flushRef, onUploaded }: Props) {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const [breakdown, setBreakdown] = useState<Breakdown | null>(null);
  const [preview, setPreview] = useState<PreviewState>('idle');
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [save, setSave] = useState<SaveState>({ status: 'saved', error: null });
  const [lastParse, setLastParse] = useState<ParseResult | null>(null);
  const [uploading, setUploading] = useState(false);
  // Measured after a pause in typing, never per keystroke (docs/API-EDITOR.md, "Script size").
  const [size, setSize] = useState<ScriptSize>({ kind: 'normal' });
  const [parsing, setParsing] = useState(false);
  // "Analyze a reference video": a side panel beside the editor, in place of the breakdown.
  // Once opened it stays mounted (hidden when closed): a running analysis goes on.
  const [referenceOpen, setReferenceOpen] = useState(false);
  const [referenceMounted, setReferenceMounted] = useState(false);
  // Reviewers and viewers read the script; only editors and up change it.
  const canEdit = useCanEdit();
  const saverRef = useRef<AutoSaver<ParseResult> | null>(null);
  // The revision the text on screen is based on: a save from a stale window is refused, not applied.
  const revisionRef = useRef<number | undefined>(undefined);
  const fileRef = useRef<HTMLInputElement>(null);
  const previewTimer = useRef<number | null>(null);
  const previewCtrl = useRef<AbortController | null>(null);

  const runPreview = useCallback((value: string) => {
    previewCtrl.current?.abort();
    if (!value.trim()) {
      setBreakdown(EMPTY_BREAKDOWN);
      setPreview('idle');
      setPreviewError(null);
      return;
    }
    const ctrl = new AbortController();
    previewCtrl.current = ctrl;
    setPreview('updating');
    previewScript(value, ctrl.signal)
      .then((b) => {
        if (ctrl.signal.aborted) return;
        setBreakdown(b);
        setPreview('idle');
        setPreviewError(null);
      })
      .catch((e: unknown) => {
        if (ctrl.signal.aborted) return;
        // Keep the last good breakdown on screen and say why it is not updating.
        setPreview('error');
        setPreviewError(errorMessage(e));
      });
  }, []);

  const schedulePreview = useCallback(
    (value: string) => {
      if (previewTimer.current !== null) window.clearTimeout(previewTimer.current);
      previewTimer.current = window.setTimeout(() => {
        previewTimer.current = null;
        const measured = scriptSize(value);
        setSize(measured);
        if (measured.kind === 'normal') {
          runPreview(value);
        } else {
          // A large script is parsed only when asked (the warning's button): the last breakdown stays.
          previewCtrl.current?.abort();
          setPreview('idle');
        }
      }, PREVIEW_DELAY_MS);
    },
    [runPreview],
  );

  // The version's script (read afresh each time the tab opens), and an auto-saver for it.
  const docQuery = useScriptDoc(projectId, versionId);
  const doc = docQuery.data;
  /** The document the editor and the auto-saver were set up from. */
  const [shownDoc, setShownDoc] = useState<ScriptDocument | null>(null);
  useEffect(() => {
    if (!doc) return;
    revisionRef.current = doc.revision;
    const saver = new AutoSaver<ParseResult>({
      initial: doc.text,
      delayMs: SAVE_DELAY_MS,
      save: (t) => {
        const measured = scriptSize(t);
        if (measured.kind === 'too-large') return Promise.reject(new Error(tooLargeMessage(measured.bytes)));
        // A large script is saved as text; parsing it waits for the warning's button.
        return saveScript(projectId, versionId, t, measured.kind === 'normal', revisionRef.current);
      },
      onState: setSave,
      onSaved: (result) => {
        revisionRef.current = result.revision;
        setLastParse(result);
      },
    });
    saverRef.current = saver;
    setSave(saver.state);
    setText(doc.text);
    setShownDoc(doc);
    const measured = scriptSize(doc.text);
    setSize(measured);
    if (doc.breakdown) setBreakdown(doc.breakdown);
    else if (measured.kind === 'normal') runPreview(doc.text);
    return () => {
      // Unmounting (version switch, leaving the editor) or re-reading: whatever was typed still gets saved.
      void saver.flush();
      saver.dispose();
      if (saverRef.current === saver) saverRef.current = null;
    };
  }, [doc, projectId, versionId, runPreview]);
  // The editor is ready once it shows the document just read (not while the script is re-read).
  const load: Load =
    docQuery.error ? { kind: 'error', message: errorMessage(docQuery.error) } : doc && shownDoc === doc && !docQuery.isFetching ? { kind: 'ready' } : { kind: 'loading' };
  const reload = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.script(projectId, versionId) }), [queryClient, projectId, versionId]);

  useEffect(
    () => () => {
      previewCtrl.current?.abort();
      if (previewTimer.current !== null) window.clearTimeout(previewTimer.current);
    },
    [],
  );

  useEffect(() => {
    const fn = (() => saverRef.current?.flush() ?? Promise.resolve(true)) as FlushFn;
    fn.dirty = () => saverRef.current?.dirty ?? false;
    flushRef.current = fn;
    return () => {
      if (flushRef.current === fn) flushRef.current = null;
    };
  }, [flushRef]);

  function onChange(value: string) {
    setText(value);
    saverRef.current?.edit(value);
    schedulePreview(value);
  }

  // The reference panel's script draft goes in as an edit would (the auto-saver saves it).
  const textRef = useRef(text);
  textRef.current = text;
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const scriptTarget = useMemo(() => ({ current: () => textRef.current, replace: (value: string) => onChangeRef.current(value) }), []);

  async function saveNow() {
    await saverRef.current?.flush();
  }

  /** Parses a large script into the storyboard, after the user read the warning and asked. */
  async function parseLarge() {
    setParsing(true);
    try {
      if (!(await (saverRef.current?.flush() ?? Promise.resolve(true)))) return;
      const res = await parseScript(projectId, versionId);
      setLastParse(res);
      toasts.show({
        kind: 'success',
        message: t('scriptTab.parsed', { scenes: formatCount('scene', res.scene_count), shots: formatCount('shot', res.shot_count) }),
      });
      const doc = await getScript(projectId, versionId);
      if (doc.breakdown) setBreakdown(doc.breakdown);
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setParsing(false);
    }
  }

  async function upload(file: File) {
    if (file.size > SCRIPT_MAX_BYTES) {
      toasts.show({ kind: 'error', message: tooLargeMessage(file.size) });
      if (fileRef.current) fileRef.current.value = '';
      return;
    }
    if (
      file.size >= LARGE_SCRIPT_CHARS &&
      !window.confirm(
        t('scriptTab.confirmLargeUpload', { name: file.name, size: formatBytes(file.size) }),
      )
    ) {
      if (fileRef.current) fileRef.current.value = '';
      return;
    }
    setUploading(true);
    try {
      // Save what is typed first, so a late autosave cannot overwrite the uploaded script.
      await saverRef.current?.flush();
      const res = await uploadScript(projectId, versionId, file, file.name);
      toasts.show({
        kind: 'success',
        message: t('scriptTab.uploaded', {
          count: res.chars,
          formatted: formatNumber(res.chars),
          name: res.filename,
          encoding: res.encoding,
          scenes: formatCount('scene', res.parse.scene_count),
          shots: formatCount('shot', res.parse.shot_count),
        }),
      });
      setLastParse(res.parse);
      reload();
      onUploaded();
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setUploading(false);
      if (fileRef.current) fileRef.current.value = '';
    }
  }

  if (load.kind === 'error') {
    return (
      <section className="panel">
        <div className="load-error" role="alert" data-testid="script-load-error">
          <AlertIcon size={22} />
          <div>
            <h2>{t('scriptTab.loadError')}</h2>
            <p>{load.message}</p>
          </div>
          <button type="button" className="button secondary" onClick={reload}>
            {t('common.tryAgain')}
          </button>
        </div>
      </section>
    );
  }

  return (
    <div className="script-tab">
      <div className="toolbar script-toolbar">
        <button
          type="button"
          className="button secondary"
          data-testid="upload-script"
          disabled={!canEdit || uploading || load.kind !== 'ready'}
          onClick={() => fileRef.current?.click()}
        >
          {uploading ? <span className="spinner" aria-hidden="true" /> : <UploadIcon />}
          {t('scriptTab.upload')}
        </button>
        <input
          ref={fileRef}
          type="file"
          accept={SCRIPT_FILE_ACCEPT}
          className="visually-hidden-input"
          data-testid="upload-script-input"
          aria-label={t('scriptTab.fileLabel')}
          tabIndex={-1}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void upload(f);
          }}
        />
        <button
          type="button"
          className={`button secondary${referenceOpen ? ' active' : ''}`}
          data-testid="open-reference-panel"
          aria-pressed={referenceOpen}
          aria-controls="reference-panel"
          onClick={() => {
            setReferenceMounted(true);
            setReferenceOpen((o) => !o);
          }}
        >
          <FilmIcon />
          {t('scriptTab.analyzeReference')}
        </button>
        <span className="toolbar-hint">
          <Trans i18n={i18n} t={t} i18nKey="scriptTab.saveHint" components={{ kbd: <kbd /> }} />
        </span>
        <SaveIndicator state={save} loading={load.kind === 'loading'} onRetry={() => void saverRef.current?.retry()} />
      </div>
      {lastParse && lastParse.warnings.length > 0 && save.status === 'saved' && (
        <p className="parse-note" data-testid="parse-warnings-note">
          {t('scriptTab.parseWarnings', { count: lastParse.warnings.length, formatted: formatNumber(lastParse.warnings.length) })}
        </p>
      )}
      {size.kind === 'large' && (
        <div className="parse-note script-size-note" role="status" data-testid="script-size-warning">
          <AlertIcon size={14} /> {t('scriptTab.large', { size: formatBytes(size.bytes), chars: formatNumber(size.chars) })}{' '}
          <button
            type="button"
            className="button secondary button-sm"
            data-testid="parse-large-script"
            disabled={!canEdit || parsing || load.kind !== 'ready'}
            onClick={() => void parseLarge()}
          >
            {parsing && <span className="spinner spinner-sm" aria-hidden="true" />}
            {parsing ? t('scriptTab.parsing') : t('scriptTab.parseLarge')}
          </button>
        </div>
      )}
      {size.kind === 'too-large' && (
        <p className="parse-note" role="alert" data-testid="script-size-error">
          <AlertIcon size={14} /> {tooLargeMessage(size.bytes)}
        </p>
      )}
      <div className={`script-layout${referenceOpen ? ' with-reference' : ''}`}>
        <Suspense fallback={<div className="script-editor" aria-busy="true" />}>
          <ScriptEditor
            value={text}
            disabled={!canEdit || load.kind !== 'ready'}
            onChange={onChange}
            onSave={() => void saveNow()}
          />
        </Suspense>
        {referenceMounted && (
          <div id="reference-panel" hidden={!referenceOpen}>
            <Suspense fallback={<div className="panel reference-panel" aria-busy="true" />}>
              <ReferencePanel
                projectId={projectId}
                canEdit={canEdit && load.kind === 'ready'}
                scriptTarget={scriptTarget}
                onClose={() => setReferenceOpen(false)}
              />
            </Suspense>
          </div>
        )}
        {!referenceOpen && (
          <MemoBreakdownPanel
            breakdown={breakdown}
            updating={preview === 'updating'}
            error={preview === 'error' ? previewError : null}
          />
        )}
      </div>
    </div>
  );
}

function SaveIndicator({ state, loading, onRetry }: { state: SaveState; loading: boolean; onRetry: () => void }) {
  const t = useT();
  let label: string;
  if (loading) label = t('common.loadingEllipsis');
  else if (state.status === 'saved') label = t('scriptTab.save.saved');
  else if (state.status === 'pending') label = t('scriptTab.save.pending');
  else if (state.status === 'saving') label = t('common.saving');
  else label = t('scriptTab.save.error');
  return (
    <div className="save-indicator" data-testid="save-status" data-state={loading ? 'loading' : state.status}>
      <span role="status" aria-live="polite" className={`save-label save-${state.status}`}>
        {state.status === 'saved' && !loading && <CheckIcon size={14} />}
        {state.status === 'saving' && <span className="spinner spinner-sm" aria-hidden="true" />}
        {state.status === 'error' && <AlertIcon size={14} />}
        {label}
        {state.status === 'error' && state.error && <span className="save-error">{t('scriptTab.save.errorDetail', { error: state.error })}</span>}
      </span>
      {state.status === 'error' && (
        <button type="button" className="button secondary button-sm" data-testid="save-retry" onClick={onRetry}>
          {t('scriptTab.save.retry')}
        </button>
      )}
    </div>
  );
}
