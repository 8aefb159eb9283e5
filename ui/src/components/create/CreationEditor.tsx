import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type ReactNode } from 'react';
import { LIMITS, openAsProject, saveCreation, VIDEO_SCRIPT_TOOL, type Creation, type CreationPatch } from '../../api/create';
import { useT } from '../../i18n';
import { copyText } from '../../lib/clipboard';
import { formatNumber } from '../../lib/format';
import { isSaveShortcut } from '../../lib/keyboard';
import { navigate } from '../../lib/navigate';
import type { FieldErrors } from '../../lib/validation';
import { ApiError, errorMessage, fieldErrorMessage } from '../../transport';
import { CheckIcon, FileTextIcon } from '../Icons';
import { useToasts } from '../Toasts';

export type EditableCreation = Pick<Creation, 'id' | 'title' | 'content' | 'tool_type'> & { deleted_at?: string | null | undefined };

interface Props {
  /** The saved creation (the parent keys this component by its id). */
  creation: EditableCreation;
  /** The person may change it (not a viewer). */
  canEdit: boolean;
  /** Chips shown above the text (model, credits…). */
  meta?: ReactNode;
  onSaved?: (c: Creation) => void;
  /** Told whether there are edits not saved yet (the Create page asks before replacing them). */
  onDirtyChange?: (dirty: boolean) => void;
}

/** What differs from the saved creation, or null when nothing does. */
export function creationPatch(saved: Pick<Creation, 'title' | 'content'>, title: string, content: string): CreationPatch | null {
  const patch: CreationPatch = {};
  if (title.trim() !== saved.title) patch.title = title.trim();
  if (content !== saved.content) patch.content = content;
  return Object.keys(patch).length ? patch : null;
}

/**
 * A creation's title and text to edit, with Save (`PUT /creations/{id}`, also Ctrl/Cmd+S), Copy
 * and, for a short-video script, Open as project (saved first when edited; then the editor opens
 * on the new project). A trashed creation is read-only.
 */
export function CreationEditor({ creation, canEdit, meta, onSaved, onDirtyChange }: Props) {
  const t = useT();
  const id = useId();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const [saved, setSaved] = useState({ title: creation.title, content: creation.content });
  const [title, setTitle] = useState(creation.title);
  const [content, setContent] = useState(creation.content);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState<'save' | 'project' | null>(null);
  const trashed = !!creation.deleted_at;
  const editable = canEdit && !trashed;
  const patch = creationPatch(saved, title, content);
  const dirty = patch !== null;

  useEffect(() => {
    onDirtyChange?.(dirty);
  }, [dirty, onDirtyChange]);
  // Gone (another generation, another creation): nothing of it is left unsaved here.
  useEffect(() => () => onDirtyChange?.(false), [onDirtyChange]);

  /** Saves the edits; resolves false when they were refused (the message is shown). */
  async function save(): Promise<boolean> {
    if (!patch) return true;
    if (patch.title !== undefined && !patch.title) {
      setErrors({ title: t('create.form.titleRequired') });
      return false;
    }
    setErrors({});
    try {
      const c = await saveCreation(queryClient, creation.id, patch);
      setSaved({ title: c.title, content: c.content });
      setTitle(c.title);
      onSaved?.(c);
      return true;
    } catch (e) {
      if (e instanceof ApiError && (e.field === 'title' || e.field === 'content')) {
        setErrors({ [e.field]: fieldErrorMessage(e) });
      } else {
        toasts.show({ kind: 'error', message: errorMessage(e) });
      }
      return false;
    }
  }

  async function onSave() {
    if (busy || !patch) return;
    setBusy('save');
    const ok = await save();
    setBusy(null);
    if (ok) toasts.show({ kind: 'success', message: t('create.editor.saved') });
  }

  async function onCopy() {
    const ok = await copyText(content);
    toasts.show(ok ? { kind: 'success', message: t('create.editor.copied') } : { kind: 'error', message: t('create.editor.copyFailed') });
  }

  async function onOpenProject() {
    if (busy) return;
    setBusy('project');
    try {
      if (!(await save())) return;
      const p = await openAsProject(queryClient, creation.id);
      toasts.show({ kind: 'success', message: t('create.editor.projectOpened', { name: p.name }) });
      navigate({ name: 'project', id: p.id, tab: 'script' });
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    } finally {
      setBusy(null);
    }
  }

  const chars = Array.from(content).length;

  return (
    <div className="creation-editor" data-testid="creation-editor" data-creation-id={creation.id}>
      <div className="form-field">
        <label htmlFor={`${id}-title`}>{t('create.editor.title')}</label>
        <input
          id={`${id}-title`}
          className={`input${errors.title ? ' invalid' : ''}`}
          value={title}
          maxLength={LIMITS.title}
          readOnly={!editable}
          aria-invalid={errors.title ? true : undefined}
          data-testid="creation-title"
          onChange={(e) => setTitle(e.target.value)}
        />
        {errors.title && (
          <p className="field-error" data-testid="creation-title-error">
            {errors.title}
          </p>
        )}
      </div>
      {meta && <p className="muted creation-meta">{meta}</p>}
      <div className="form-field">
        <label htmlFor={`${id}-content`}>
          {t('create.editor.content')}
          <span className="optional">{t('create.editor.chars', { count: chars, formatted: formatNumber(chars) })}</span>
        </label>
        <textarea
          id={`${id}-content`}
          className={`input textarea creation-text${errors.content ? ' invalid' : ''}`}
          value={content}
          readOnly={!editable}
          maxLength={LIMITS.savedContent}
          aria-invalid={errors.content ? true : undefined}
          data-testid="creation-content"
          onChange={(e) => setContent(e.target.value)}
          onKeyDown={(e) => {
            if (!isSaveShortcut(e)) return;
            e.preventDefault();
            if (editable) void onSave();
          }}
        />
        {errors.content && (
          <p className="field-error" data-testid="creation-content-error">
            {errors.content}
          </p>
        )}
      </div>
      <div className="creation-actions">
        {editable && (
          <button type="button" className="button primary button-sm" data-testid="creation-save" disabled={!patch || busy !== null} onClick={() => void onSave()}>
            {busy === 'save' ? <span className="spinner spinner-sm" aria-hidden="true" /> : <CheckIcon />}
            {busy === 'save' ? t('common.saving') : patch ? t('common.save') : t('create.editor.upToDate')}
          </button>
        )}
        <button type="button" className="button secondary button-sm" data-testid="creation-copy" onClick={() => void onCopy()}>
          {t('common.copy')}
        </button>
        {editable && creation.tool_type === VIDEO_SCRIPT_TOOL && (
          <button type="button" className="button secondary button-sm" data-testid="creation-open-project" disabled={busy !== null} onClick={() => void onOpenProject()}>
            {busy === 'project' ? <span className="spinner spinner-sm" aria-hidden="true" /> : <FileTextIcon />}
            {t('create.editor.openAsProject')}
          </button>
        )}
        {editable && <span className="muted create-hint">{t('create.editor.saveHint')}</span>}
      </div>
    </div>
  );
}
