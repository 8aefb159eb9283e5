import { useEffect, useId, useRef, useState } from 'react';
import { useThumbnailBlob } from '../api/queries';
import type { Project } from '../api/types';
import { useLocale, useT } from '../i18n';
import { formatDateTime, formatRelativeTime } from '../lib/format';
import { useObjectUrlOf } from '../lib/useObjectUrl';
import { validateName } from '../lib/validation';
import { ApiError, fieldErrorMessage } from '../transport';
import { AspectBadge, AspectShape, StatusBadge } from './Badges';
import { PencilIcon, TrashIcon } from './Icons';

interface ProjectRowProps {
  project: Project;
  now: Date;
  editing: boolean;
  onStartRename: () => void;
  onEndRename: () => void;
  /** Saves the new name; rejects with ApiError on failure. */
  onRename: (name: string) => Promise<void>;
  onDelete: () => void;
  /** Opens the project in the editor. */
  onOpen: () => void;
}

/** A stable hue per project so thumbnails are easy to tell apart. */
function hueFor(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h % 360;
}

/** An object URL of the project's keyframe image, or null (no keyframe, still loading, failed: the gradient stays). */
function useThumbnail(assetId: string | null | undefined): string | null {
  const { data } = useThumbnailBlob(assetId);
  return useObjectUrlOf(assetId ? data : null);
}

export function ProjectRow({
  project,
  now,
  editing,
  onStartRename,
  onEndRename,
  onRename,
  onDelete,
  onOpen,
}: ProjectRowProps) {
  const t = useT();
  const locale = useLocale();
  const hue = hueFor(project.id);
  const thumbnail = useThumbnail(project.thumbnail_asset_id);
  return (
    <li
      className="project-row openable"
      data-testid="project-row"
      data-project-id={project.id}
      onClick={(e) => {
        // Clicks on the row's own controls (rename, delete, the rename field) do their own thing.
        if (editing || (e.target as Element).closest('button, input, textarea, a, select')) return;
        onOpen();
      }}
    >
      <div className="cell-name">
        <div
          className={`thumb thumb-${project.aspect_ratio.replace(':', 'x')}`}
          style={{
            background: `linear-gradient(135deg, hsl(${hue} 70% 45%), hsl(${(hue + 50) % 360} 75% 35%))`,
          }}
          aria-hidden="true"
          data-testid="project-thumb"
          data-keyframe={project.thumbnail_asset_id ?? undefined}
        >
          {thumbnail ? <img src={thumbnail} alt="" /> : <AspectShape ratio={project.aspect_ratio} />}
        </div>
        <div className="name-block">
          {editing ? (
            <RenameInput
              initial={project.name}
              onCancel={onEndRename}
              onSave={async (name) => {
                await onRename(name);
                onEndRename();
              }}
            />
          ) : (
            <a
              className="project-link"
              href={`#/projects/${encodeURIComponent(project.id)}`}
              data-testid="open-project"
              aria-label={t('projects.open', { name: project.name })}
            >
              <span className="project-name" data-testid="project-name" title={project.name}>
                {project.name}
              </span>
            </a>
          )}
          {project.description ? (
            <span className="project-description" data-testid="project-description" title={project.description}>
              {project.description}
            </span>
          ) : (
            <span className="project-description muted-italic">{t('projects.noDescription')}</span>
          )}
        </div>
      </div>
      <div className="cell-format">
        <AspectBadge ratio={project.aspect_ratio} />
      </div>
      <div className="cell-status">
        <StatusBadge status={project.status} />
      </div>
      <div className="cell-updated">
        <time dateTime={project.updated_at} title={formatDateTime(project.updated_at, locale)} data-testid="project-updated">
          {formatRelativeTime(project.updated_at, now, locale)}
        </time>
      </div>
      <div className="cell-actions">
        <button
          type="button"
          className="icon-button"
          aria-label={t('projects.renameNamed', { name: project.name })}
          title={t('projects.rename')}
          data-testid="rename-project"
          onClick={onStartRename}
          disabled={editing}
        >
          <PencilIcon />
        </button>
        <button
          type="button"
          className="icon-button danger"
          aria-label={t('projects.deleteNamed', { name: project.name })}
          title={t('common.delete')}
          data-testid="delete-project"
          onClick={onDelete}
        >
          <TrashIcon />
        </button>
      </div>
    </li>
  );
}

function RenameInput({
  initial,
  onSave,
  onCancel,
}: {
  initial: string;
  onSave: (name: string) => Promise<void>;
  onCancel: () => void;
}) {
  const t = useT();
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const errorId = useId();

  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, []);

  async function save() {
    const name = value.trim();
    if (name === initial) {
      onCancel();
      return;
    }
    const invalid = validateName(name);
    if (invalid) {
      setError(invalid);
      return;
    }
    setSaving(true);
    setError(null);
    try {
      await onSave(name);
    } catch (e) {
      setSaving(false);
      // A validation error is shown next to the field; anything else is toasted by the page.
      // Either way the input stays open so the edit is not lost.
      if (e instanceof ApiError && e.field) setError(fieldErrorMessage(e));
    }
  }

  return (
    <div className="rename">
      <input
        ref={inputRef}
        className={`input input-sm${error ? ' invalid' : ''}`}
        data-testid="rename-input"
        aria-label={t('projects.nameLabel')}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        value={value}
        // readOnly, not disabled, while saving: a disabled input loses focus, and then Enter /
        // Escape would no longer reach it after a failed save.
        readOnly={saving}
        aria-busy={saving || undefined}
        onChange={(e) => {
          setValue(e.target.value);
          if (error) setError(null);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            if (!saving) void save();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            onCancel();
          }
        }}
      />
      <span className="rename-hint">{t('projects.renameHint')}</span>
      {error && (
        <span className="field-error" id={errorId} role="alert" data-testid="rename-error">
          {error}
        </span>
      )}
    </div>
  );
}
