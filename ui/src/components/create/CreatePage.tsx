import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import { useWritingTools, type Tool, type WritingRequest } from '../../api/create';
import { loadOf } from '../../api/load';
import { keys, useBalance } from '../../api/queries';
import { useT } from '../../i18n';
import {
  EMPTY_WRITING_FORM,
  isMediaTool,
  isWritingActive,
  MEDIA_TOOLS,
  type MediaTool,
  serverFieldErrors,
  validateWritingForm,
  writingRequest,
  type WritingField,
  type WritingForm as Form,
} from '../../lib/create';
import { formatCount } from '../../lib/format';
import { hashQuery, routeHash } from '../../lib/route';
import { hasErrors, type FieldErrors } from '../../lib/validation';
import { AlertIcon } from '../Icons';
import { useToasts } from '../Toasts';
import { useCanEdit } from '../team/WorkspaceContext';
import { DeckTool } from './DeckTool';
import { GenerationPanel } from './GenerationPanel';
import { ImageTool } from './ImageTool';
import { MediaPicker } from './MediaPicker';
import { ToolPicker } from './ToolPicker';
import { rememberedVideoTask, VideoTool } from './VideoTool';
import { WritingForm } from './WritingForm';
import { useWritingStream } from './useWritingStream';
import './create.css';

/** The tool `#/create?tool=<type>` asks for (a writing tool's type, or `deck`, `image`, `video`). */
function toolFromHash(): string | null {
  if (typeof window === 'undefined') return null;
  return hashQuery(window.location.hash).get('tool');
}

/** The video task `#/create?tool=video&task=<id>` follows, else the one remembered. */
function videoTaskFromHash(): string | null {
  if (typeof window === 'undefined') return rememberedVideoTask();
  return hashQuery(window.location.hash).get('task') || rememberedVideoTask();
}

/**
 * Create: pick one of the writing tools, fill its form (Ctrl/Cmd+Enter generates), watch the text
 * stream in; then edit, save, copy it, or open a video script as a project. Beside them, Decks ·
 * Images · Videos: a `.pptx` from an outline, a picture, a video made from a script in the
 * background. What they made is in Creations (`#/creations`).
 */
export function CreatePage({ initialTool, initialVideoTask }: { initialTool?: string | null; initialVideoTask?: string | null } = {}) {
  const t = useT();
  const queryClient = useQueryClient();
  const canEdit = useCanEdit();
  const toasts = useToasts();
  const tools = loadOf(useWritingTools());
  const balance = useBalance();
  const stream = useWritingStream();
  const [selected, setSelected] = useState<string | null>(() => initialTool ?? toolFromHash());
  /** The deck, image and video tools opened so far: kept mounted (hidden) so a deck being made or a video followed is still there on return. */
  const [visited, setVisited] = useState<ReadonlySet<MediaTool>>(() => new Set(isMediaTool(selected) ? [selected] : []));
  const [videoTask] = useState<string | null>(() => (initialVideoTask !== undefined ? initialVideoTask : videoTaskFromHash()));
  const [form, setForm] = useState<Form>(EMPTY_WRITING_FORM);
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
  /** Fields edited since the last Generate: a server error about them no longer shows. */
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set());
  const [last, setLast] = useState<{ toolType: string; body: WritingRequest } | null>(null);
  /** The finished text has edits not saved yet: a new generation would replace them. */
  const unsaved = useRef(false);
  const onDirtyChange = useCallback((dirty: boolean) => {
    unsaved.current = dirty;
  }, []);

  const list = tools.kind === 'ready' ? tools.data : null;
  const tool: Tool | null = list?.find((x) => x.type === selected) ?? null;
  const media: MediaTool | null = isMediaTool(selected) ? selected : null;
  const active = isWritingActive(stream.state.status);

  const serverErrors = stream.state.status === 'error' ? serverFieldErrors(stream.state.error) : {};
  const errors: FieldErrors = { ...Object.fromEntries(Object.entries(serverErrors).filter(([k]) => !edited.has(k))), ...clientErrors };

  function selectMedia(name: MediaTool) {
    setSelected(name);
    setVisited((v) => (v.has(name) ? v : new Set(v).add(name)));
    const task = name === 'video' ? hashQuery(window.location.hash).get('task') ?? rememberedVideoTask() : null;
    window.history.replaceState(
      window.history.state,
      '',
      `${routeHash({ name: 'create' })}?tool=${encodeURIComponent(name)}${task ? `&task=${encodeURIComponent(task)}` : ''}`,
    );
    window.requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-testid="${name}-form"] [data-field]`)?.focus());
  }

  function select(type: string) {
    setSelected(type);
    setClientErrors({});
    // A new tool starts with an empty result, unless one is being written or has unsaved edits.
    if (!active && !unsaved.current) stream.reset();
    // The address keeps the tool (a reload or a shared link opens it), without a history entry.
    window.history.replaceState(window.history.state, '', `${routeHash({ name: 'create' })}?tool=${encodeURIComponent(type)}`);
    window.requestAnimationFrame(() => document.querySelector<HTMLElement>('[data-field="title"]')?.focus());
  }

  function change(field: WritingField, value: string) {
    setForm((f) => ({ ...f, [field]: value }));
    if (clientErrors[field]) setClientErrors((e) => ({ ...e, [field]: undefined }));
    if (!edited.has(field)) setEdited((s) => new Set(s).add(field));
  }

  function generate(force = false) {
    if (!tool || active || !canEdit) return;
    if (unsaved.current && !force) {
      toasts.show({
        kind: 'info',
        message: t('create.result.unsavedEdits'),
        duration: 10_000,
        action: { label: t('create.result.generateAnyway'), testId: 'generate-anyway', onClick: () => generateRef.current(true) },
      });
      return;
    }
    const found = validateWritingForm(form, tool);
    setClientErrors(found);
    setEdited(new Set());
    if (hasErrors(found)) {
      const first = ['title', 'content', 'keywords', 'requirements', 'language'].find((f) => found[f]);
      document.querySelector<HTMLElement>(`[data-field="${first}"]`)?.focus();
      return;
    }
    const body = writingRequest(form, tool);
    setLast({ toolType: tool.type, body });
    stream.start(tool.type, body);
  }

  // The toast's "Generate anyway" acts on the form as it is when clicked, not as it was.
  const generateRef = useRef(generate);
  generateRef.current = generate;

  const available = balance.data?.available;

  return (
    <div className="page create-page" data-testid="create-page">
      <header className="page-header">
        <div>
          <h1>{t('create.page.title')}</h1>
          <p className="page-subtitle">{t('create.page.subtitle')}</p>
        </div>
        <div className="create-header-actions">
          {available !== undefined && (
            <a className="chip create-balance" href={routeHash({ name: 'credits' })} data-testid="create-balance">
              {t('create.page.balance', { credits: formatCount('credit', available) })}
            </a>
          )}
          <a className="button secondary" href={routeHash({ name: 'creations' })} data-testid="open-creations">
            {t('create.page.creations')}
          </a>
        </div>
      </header>

      <section className="panel create-section" aria-labelledby="create-tools-title">
        <h2 id="create-tools-title">{t('create.picker.title')}</h2>
        {tools.kind === 'loading' && <span className="spinner" role="status" aria-label={t('common.loading')} />}
        {tools.kind === 'error' && (
          <div className="load-error" role="alert" data-testid="tools-error">
            <AlertIcon size={22} />
            <div>
              <h3>{t('create.picker.loadError')}</h3>
              <p>{tools.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={() => void queryClient.invalidateQueries({ queryKey: keys.creations.tools('') })}>
              {t('common.tryAgain')}
            </button>
          </div>
        )}
        {list && <ToolPicker tools={list} selected={tool?.type ?? null} onSelect={select} />}
      </section>

      <section className="panel create-section" aria-labelledby="create-media-title">
        <h2 id="create-media-title">{t('create.media.title')}</h2>
        <MediaPicker selected={media} onSelect={selectMedia} />
      </section>

      {MEDIA_TOOLS.filter((m) => visited.has(m)).map((m) => (
        <div key={m} hidden={m !== media} data-testid={`media-workspace-${m}`}>
          {m === 'deck' && <DeckTool canEdit={canEdit} />}
          {m === 'image' && <ImageTool canEdit={canEdit} />}
          {m === 'video' && <VideoTool canEdit={canEdit} initialTaskId={videoTask} />}
        </div>
      ))}

      {tool ? (
        <div className="create-workspace">
          <section className="panel create-section" aria-label={t('create.form.label')}>
            <WritingForm tool={tool} form={form} onChange={change} onSubmit={() => generate()} errors={errors} busy={active} disabled={!canEdit} available={available} />
            {!canEdit && <p className="muted create-hint">{t('create.form.viewerNote')}</p>}
          </section>
          <section className="panel create-section" aria-labelledby="create-result-title">
            <h2 id="create-result-title">{t('create.result.title')}</h2>
            <GenerationPanel
              state={stream.state}
              canEdit={canEdit}
              onDirtyChange={onDirtyChange}
              onCancel={stream.cancel}
              onRetry={last ? () => stream.start(last.toolType, last.body) : undefined}
            />
          </section>
        </div>
      ) : (
        list &&
        !media && (
          <p className="muted" data-testid="create-pick-hint">
            {t('create.picker.hint')}
          </p>
        )
      )}
    </div>
  );
}
