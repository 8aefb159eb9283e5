/** One shot of the storyboard: a card in the grid (text or board view), or its edit form. */
import { useEffect, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { CAMERA_MOVES, SHOT_TYPES, type AspectRatio, type CameraMove, type Shot, type ShotPatch, type ShotType } from '../../api/types';
import { useT } from '../../i18n';
import { cameraMoveLabel, shotTypeLabel } from '../../lib/editorLabels';
import { formatDuration } from '../../lib/format';
import type { DropPosition } from '../../lib/storyboardOrder';
import { apiUrl } from '../../transport';
import { GripIcon, MergeIcon, PencilIcon, SplitIcon, TrashIcon } from '../Icons';
import type { StoryboardView } from './useStoryboardView';

export interface CardProps {
  shot: Shot;
  view: StoryboardView;
  aspectRatio: AspectRatio;
  focused: boolean;
  editing: boolean;
  busy: boolean;
  /** False at the end of a scene: the next shot opens another scene. */
  canMerge: boolean;
  dropMark: DropPosition | null;
  dragging: boolean;
  refCallback: (el: HTMLLIElement | null) => void;
  onFocus: () => void;
  onKeyDown: (e: KeyboardEvent<HTMLElement>) => void;
  onEdit: () => void;
  onCancelEdit: () => void;
  onSave: (patch: ShotPatch) => void;
  onDelete: () => void;
  onSplit: () => void;
  onMerge: () => void;
  onDragStart: (e: DragEvent<HTMLElement>) => void;
  onDragOver: (e: DragEvent<HTMLElement>) => void;
  onDragLeave: () => void;
  onDrop: (e: DragEvent<HTMLElement>) => void;
  onDragEnd: () => void;
}

function dialogueExcerpt(shot: Shot): string | null {
  const d = shot.dialogue[0];
  if (!d) return null;
  const more = shot.dialogue.length > 1 ? ` (+${shot.dialogue.length - 1})` : '';
  return `${d.character}${d.parenthetical ? `（${d.parenthetical}）` : ''}：${d.text}${more}`;
}

export function ShotCard(p: CardProps) {
  const t = useT();
  const { shot } = p;
  const kind = shot.kind === 'dialogue' ? t('storyboard.kind.dialogue') : t('storyboard.kind.action');
  const excerpt = dialogueExcerpt(shot);
  const cls = [
    'shot-card',
    p.dropMark ? `drop-${p.dropMark}` : '',
    p.dragging ? 'dragging' : '',
    p.editing ? 'editing' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <li
      ref={p.refCallback}
      className={cls}
      data-testid="shot-card"
      data-shot-id={shot.id}
      data-shot-number={shot.number}
      tabIndex={p.focused ? 0 : -1}
      aria-label={t('storyboard.cardLabel', { number: shot.number, kind, description: shot.description })}
      aria-busy={p.busy || undefined}
      draggable={!p.editing}
      onFocus={(e) => {
        if (e.target === e.currentTarget) p.onFocus();
      }}
      onKeyDown={p.onKeyDown}
      onDragStart={p.onDragStart}
      onDragOver={p.onDragOver}
      onDragLeave={p.onDragLeave}
      onDrop={p.onDrop}
      onDragEnd={p.onDragEnd}
    >
      <div className="shot-top">
        <span className="shot-grip" aria-hidden="true">
          <GripIcon size={14} />
        </span>
        <span className="shot-number" data-testid="shot-number">
          {shot.number}
        </span>
        <span className={`shot-kind kind-${shot.kind}`} data-testid="shot-kind">
          {kind}
        </span>
        {shot.edited && <span className="shot-edited" title={t('storyboard.editedTitle')}>{t('storyboard.edited')}</span>}
        <span className="shot-duration" data-testid="shot-duration">
          {formatDuration(shot.duration)}
        </span>
        {p.view === 'text' && shot.image_url && (
          <img
            className="shot-thumb"
            data-testid="shot-frame"
            data-asset-id={shot.keyframe_asset_id}
            // A small PNG the server makes (and keeps) on first request, not the full frame.
            src={apiUrl(shot.keyframe_asset_id ? `/api/v1/assets/${shot.keyframe_asset_id}/thumbnail` : shot.image_url) ?? undefined}
            alt={t('storyboard.keyframeAlt', { number: shot.number })}
            loading="lazy"
            draggable={false}
          />
        )}
      </div>
      {p.view === 'board' && <ShotFrame shot={shot} aspectRatio={p.aspectRatio} />}
      {p.editing ? (
        <ShotEditForm shot={shot} onSave={p.onSave} onCancel={p.onCancelEdit} />
      ) : (
        <>
          <p className="shot-description" data-testid="shot-description">
            {shot.description}
          </p>
          {excerpt && p.view === 'text' && (
            <p className="shot-dialogue" data-testid="shot-dialogue">
              {excerpt}
            </p>
          )}
          {shot.characters.length > 0 && p.view === 'text' && (
            <ul className="shot-characters" aria-label={t('storyboard.characters')}>
              {shot.characters.map((c) => (
                <li key={c} className="chip">
                  {c}
                </li>
              ))}
            </ul>
          )}
          <div className="shot-camera">
            <span data-testid="shot-type">{shot.shot_type ? shotTypeLabel(shot.shot_type) : t('storyboard.anyShot')}</span>
            <span aria-hidden="true">·</span>
            <span data-testid="shot-camera-move">{shot.camera_move ? cameraMoveLabel(shot.camera_move) : t('storyboard.anyMove')}</span>
          </div>
          <div className="shot-actions">
            <button type="button" className="icon-button" aria-label={t('storyboard.editAria', { number: shot.number })} title={t('storyboard.editTitle')} data-testid="shot-edit" onClick={p.onEdit}>
              <PencilIcon size={15} />
            </button>
            <button type="button" className="icon-button" aria-label={t('storyboard.splitAria', { number: shot.number })} title={t('storyboard.splitTitle')} data-testid="shot-split" onClick={p.onSplit} disabled={p.busy}>
              <SplitIcon size={15} />
            </button>
            <button type="button" className="icon-button" aria-label={t('storyboard.mergeAria', { number: shot.number })} title={p.canMerge ? t('storyboard.mergeTitle') : t('storyboard.mergeLastTitle')} data-testid="shot-merge" onClick={p.onMerge} disabled={p.busy || !p.canMerge}>
              <MergeIcon size={15} />
            </button>
            <button type="button" className="icon-button danger" aria-label={t('storyboard.deleteAria', { number: shot.number })} title={t('storyboard.deleteTitle')} data-testid="shot-delete" onClick={p.onDelete}>
              <TrashIcon size={15} />
            </button>
          </div>
        </>
      )}
    </li>
  );
}

/** The board view's large keyframe (the approved one, or the latest candidate), or a placeholder. */
function ShotFrame({ shot, aspectRatio }: { shot: Shot; aspectRatio: AspectRatio }) {
  const t = useT();
  const src = apiUrl(shot.image_url);
  return (
    <div className="shot-frame-box" style={{ aspectRatio: aspectRatio.replace(':', ' / ') }}>
      {src ? (
        <img className="shot-frame" data-testid="shot-frame" data-asset-id={shot.keyframe_asset_id ?? ''} src={src} alt={t('storyboard.keyframeAlt', { number: shot.number })} loading="lazy" draggable={false} />
      ) : (
        <span className="shot-frame-empty" data-testid="shot-frame-empty">
          {t('storyboard.noKeyframe')}
        </span>
      )}
    </div>
  );
}

function ShotEditForm({ shot, onSave, onCancel }: { shot: Shot; onSave: (patch: ShotPatch) => void; onCancel: () => void }) {
  const t = useT();
  const [description, setDescription] = useState(shot.description);
  const [duration, setDuration] = useState(String(shot.duration));
  const [shotType, setShotType] = useState<string>(shot.shot_type ?? '');
  const [cameraMove, setCameraMove] = useState<string>(shot.camera_move ?? '');
  const [error, setError] = useState<string | null>(null);
  const firstRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    firstRef.current?.focus();
    firstRef.current?.select();
  }, []);

  function submit() {
    const d = Number(duration);
    if (!Number.isFinite(d) || d <= 0 || d > 600) {
      setError(t('storyboard.durationInvalid'));
      return;
    }
    if (!description.trim()) {
      setError(t('storyboard.descriptionEmpty'));
      return;
    }
    const patch: ShotPatch = {};
    if (description.trim() !== shot.description) patch.description = description.trim();
    if (Math.abs(d - shot.duration) > 1e-6) patch.duration = d;
    // An empty string clears the field on the server.
    if (shotType !== (shot.shot_type ?? '')) patch.shot_type = shotType as ShotType | '';
    if (cameraMove !== (shot.camera_move ?? '')) patch.camera_move = cameraMove as CameraMove | '';
    onSave(patch);
  }

  return (
    <form
      className="shot-form"
      data-testid="shot-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onCancel();
        } else if (e.key === 'Enter' && !e.shiftKey && (e.target as HTMLElement).tagName !== 'BUTTON') {
          e.preventDefault();
          submit();
        }
      }}
    >
      <label className="sr-only" htmlFor={`desc-${shot.id}`}>
        {t('storyboard.description')}
      </label>
      <textarea
        id={`desc-${shot.id}`}
        ref={firstRef}
        className="input textarea shot-desc-input"
        data-testid="shot-description-input"
        value={description}
        rows={3}
        onChange={(e) => {
          setDescription(e.target.value);
          setError(null);
        }}
      />
      <div className="shot-form-row">
        <label>
          <span>{t('storyboard.seconds')}</span>
          <input
            className="input input-sm"
            type="number"
            min={0.1}
            max={600}
            step={0.1}
            data-testid="shot-duration-input"
            value={duration}
            onChange={(e) => {
              setDuration(e.target.value);
              setError(null);
            }}
          />
        </label>
        <label>
          <span>{t('storyboard.shotType')}</span>
          <select className="input input-sm select" data-testid="shot-type-select" value={shotType} onChange={(e) => setShotType(e.target.value)}>
            <option value="">{t('storyboard.any')}</option>
            {SHOT_TYPES.map((type) => (
              <option key={type} value={type}>
                {shotTypeLabel(type)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>{t('storyboard.cameraMove')}</span>
          <select className="input input-sm select" data-testid="shot-camera-select" value={cameraMove} onChange={(e) => setCameraMove(e.target.value)}>
            <option value="">{t('storyboard.any')}</option>
            {CAMERA_MOVES.map((move) => (
              <option key={move} value={move}>
                {cameraMoveLabel(move)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="shot-form-error">
          {error}
        </p>
      )}
      <div className="shot-form-actions">
        <span className="rename-hint">{t('storyboard.formHint')}</span>
        <button type="button" className="button secondary button-sm" onClick={onCancel} data-testid="shot-cancel">
          {t('common.cancel')}
        </button>
        <button type="submit" className="button primary button-sm" data-testid="shot-save">
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
