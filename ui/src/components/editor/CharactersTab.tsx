import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import {
  addCharacterImage,
  confirmCharacter,
  createCharacter,
  listCharacters,
  updateCharacter,
} from '../../api/characters';
import type { Character } from '../../api/types';
import { validateName } from '../../lib/validation';
import { ApiError, apiUrl, errorMessage } from '../../transport';
import { AlertIcon, CheckIcon, ImageIcon, PencilIcon, PlusIcon } from '../Icons';
import { useToasts } from '../Toasts';

type Load = { kind: 'loading' } | { kind: 'ready'; items: Character[] } | { kind: 'error'; message: string };

export function CharactersTab({ projectId }: { projectId: string }) {
  const toasts = useToasts();
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [reloadKey, setReloadKey] = useState(0);
  const [editingId, setEditingId] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const reload = useCallback(() => setReloadKey((k) => k + 1), []);

  useEffect(() => {
    const ctrl = new AbortController();
    listCharacters(projectId, {}, ctrl.signal)
      .then((page) => setLoad({ kind: 'ready', items: page.items }))
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setLoad({ kind: 'error', message: errorMessage(e) });
      });
    return () => ctrl.abort();
  }, [projectId, reloadKey]);

  function replace(c: Character) {
    setLoad((s) => (s.kind === 'ready' ? { ...s, items: s.items.map((x) => (x.id === c.id ? c : x)) } : s));
  }

  async function confirm(c: Character) {
    try {
      replace(await confirmCharacter(c.id));
      toasts.show({ kind: 'success', message: `Confirmed “${c.name}”` });
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    }
  }

  async function upload(c: Character, file: File) {
    try {
      replace(await addCharacterImage(c.id, file, file.name));
      toasts.show({ kind: 'success', message: `Added a reference image to “${c.name}”` });
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    }
  }

  if (load.kind === 'loading') return <span className="spinner" role="status" aria-label="Loading characters" />;
  if (load.kind === 'error') {
    return (
      <section className="panel">
        <div className="load-error" role="alert" data-testid="characters-error">
          <AlertIcon size={22} />
          <div>
            <h2>Couldn’t load the characters</h2>
            <p>{load.message}</p>
          </div>
          <button type="button" className="button secondary" onClick={reload}>
            Try again
          </button>
        </div>
      </section>
    );
  }

  const proposed = load.items.filter((c) => c.status === 'proposed');
  const confirmed = load.items.filter((c) => c.status !== 'proposed');

  const renderList = (items: Character[]) => (
    <ul className="character-grid">
      {items.map((c) => (
        <CharacterCard
          key={c.id}
          character={c}
          editing={editingId === c.id}
          onEdit={() => setEditingId(c.id)}
          onDone={(updated) => {
            if (updated) replace(updated);
            setEditingId(null);
          }}
          onConfirm={() => void confirm(c)}
          onUpload={(f) => void upload(c, f)}
          onError={(m) => toasts.show({ kind: 'error', message: m })}
        />
      ))}
    </ul>
  );

  return (
    <div className="characters" data-testid="characters">
      <div className="toolbar">
        <p className="storyboard-summary">
          {confirmed.length} confirmed · {proposed.length} proposed by the parser
        </p>
        <button type="button" className="button primary" data-testid="new-character" onClick={() => setCreating(true)} disabled={creating}>
          <PlusIcon />
          New character
        </button>
      </div>
      {creating && (
        <CharacterForm
          title="New character"
          initial={{ name: '', description: '', voice: '' }}
          submitLabel="Create"
          onCancel={() => setCreating(false)}
          onSubmit={async (v) => {
            const c = await createCharacter({ project_id: projectId, name: v.name, description: v.description || undefined, voice: v.voice || undefined });
            setLoad((s) => (s.kind === 'ready' ? { ...s, items: [...s.items, c] } : s));
            setCreating(false);
            toasts.show({ kind: 'success', message: `Created “${c.name}”` });
          }}
          onError={(m) => toasts.show({ kind: 'error', message: m })}
        />
      )}
      {load.items.length === 0 && !creating && (
        <div className="empty-state" data-testid="characters-empty">
          <h2>No characters yet</h2>
          <p>Speakers found in the script are proposed here; you can also add characters by hand.</p>
        </div>
      )}
      {proposed.length > 0 && (
        <section className="character-section" aria-labelledby="chars-proposed" data-testid="characters-proposed">
          <h3 id="chars-proposed">Proposed by the parser</h3>
          {renderList(proposed)}
        </section>
      )}
      {confirmed.length > 0 && (
        <section className="character-section" aria-labelledby="chars-confirmed" data-testid="characters-confirmed">
          <h3 id="chars-confirmed">Confirmed</h3>
          {renderList(confirmed)}
        </section>
      )}
    </div>
  );
}

function CharacterCard({
  character: c,
  editing,
  onEdit,
  onDone,
  onConfirm,
  onUpload,
  onError,
}: {
  character: Character;
  editing: boolean;
  onEdit: () => void;
  onDone: (updated: Character | null) => void;
  onConfirm: () => void;
  onUpload: (f: File) => void;
  onError: (m: string) => void;
}) {
  const fileRef = useRef<HTMLInputElement>(null);
  const thumb = apiUrl(c.thumbnail_url ?? c.image_url);
  return (
    <li className="character-card" data-testid="character-card" data-character-id={c.id} data-status={c.status}>
      <div className="character-thumb" aria-hidden={thumb ? undefined : true}>
        {thumb ? (
          <img src={thumb} alt={`${c.name}`} data-testid="character-thumb" loading="lazy" />
        ) : (
          <span className="character-initial">{Array.from(c.name)[0] ?? '?'}</span>
        )}
      </div>
      {editing ? (
        <CharacterForm
          title={`Edit ${c.name}`}
          initial={{ name: c.name, description: c.description ?? '', voice: c.voice ?? '' }}
          submitLabel="Save"
          onCancel={() => onDone(null)}
          onSubmit={async (v) => {
            const patch: { name?: string; description?: string; voice?: string } = {};
            if (v.name !== c.name) patch.name = v.name;
            if (v.description !== (c.description ?? '')) patch.description = v.description;
            if (v.voice !== (c.voice ?? '')) patch.voice = v.voice;
            onDone(Object.keys(patch).length ? await updateCharacter(c.id, patch) : null);
          }}
          onError={onError}
        />
      ) : (
        <div className="character-body">
          <div className="character-name-row">
            <span className="character-name" data-testid="character-name">
              {c.name}
            </span>
            <span className={`badge character-status status-${c.status}`} data-testid="character-status">
              {c.status === 'proposed' ? 'Proposed' : 'Confirmed'}
            </span>
          </div>
          <p className={c.description ? 'character-description' : 'character-description muted-italic'}>
            {c.description || 'No description'}
          </p>
          <p className="character-voice">
            <span className="muted">Voice:</span> {c.voice || <span className="muted-italic">not set</span>}
          </p>
          <p className="character-refs muted small">
            {c.reference_asset_ids.length} reference image{c.reference_asset_ids.length === 1 ? '' : 's'}
          </p>
          <div className="character-actions">
            {c.status === 'proposed' && (
              <button type="button" className="button primary button-sm" data-testid="character-confirm" onClick={onConfirm} aria-label={`Confirm ${c.name}`}>
                <CheckIcon size={14} />
                Confirm
              </button>
            )}
            <button type="button" className="button secondary button-sm" data-testid="character-edit" onClick={onEdit} aria-label={`Edit ${c.name}`}>
              <PencilIcon size={14} />
              Edit
            </button>
            <button
              type="button"
              className="button secondary button-sm"
              data-testid="character-upload"
              onClick={() => fileRef.current?.click()}
              aria-label={`Add a reference image of ${c.name}`}
            >
              <ImageIcon size={14} />
              Add image
            </button>
            <input
              ref={fileRef}
              type="file"
              accept="image/png,image/jpeg,image/webp,image/gif"
              className="visually-hidden-input"
              data-testid="character-image-input"
              tabIndex={-1}
              aria-label={`Image of ${c.name}`}
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) onUpload(f);
                e.target.value = '';
              }}
            />
          </div>
        </div>
      )}
    </li>
  );
}

interface FormValues {
  name: string;
  description: string;
  voice: string;
}

function CharacterForm({
  title,
  initial,
  submitLabel,
  onSubmit,
  onCancel,
  onError,
}: {
  title: string;
  initial: FormValues;
  submitLabel: string;
  onSubmit: (v: FormValues) => Promise<void>;
  onCancel: () => void;
  onError: (m: string) => void;
}) {
  const [v, setV] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const id = useId();
  const nameRef = useRef<HTMLInputElement>(null);
  useEffect(() => nameRef.current?.focus(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const name = v.name.trim();
    const invalid = validateName(name);
    if (invalid) {
      setError(invalid);
      return;
    }
    setSaving(true);
    try {
      await onSubmit({ name, description: v.description.trim(), voice: v.voice.trim() });
    } catch (err) {
      setSaving(false);
      if (err instanceof ApiError && (err.field === 'name' || err.status === 409)) setError(err.detail);
      else onError(errorMessage(err));
    }
  }

  return (
    <form
      className="character-form"
      data-testid="character-form"
      aria-label={title}
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onCancel();
        }
      }}
    >
      <label htmlFor={`${id}-name`}>Name</label>
      <input
        id={`${id}-name`}
        ref={nameRef}
        className={`input input-sm${error ? ' invalid' : ''}`}
        data-testid="character-name-input"
        value={v.name}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-err` : undefined}
        onChange={(e) => {
          setV({ ...v, name: e.target.value });
          setError(null);
        }}
      />
      {error && (
        <p className="field-error" id={`${id}-err`} role="alert" data-testid="character-form-error">
          {error}
        </p>
      )}
      <label htmlFor={`${id}-desc`}>Description</label>
      <textarea
        id={`${id}-desc`}
        className="input textarea"
        rows={2}
        data-testid="character-description-input"
        value={v.description}
        onChange={(e) => setV({ ...v, description: e.target.value })}
      />
      <label htmlFor={`${id}-voice`}>Voice</label>
      <input
        id={`${id}-voice`}
        className="input input-sm"
        data-testid="character-voice-input"
        placeholder="e.g. warm alto, slight rasp"
        value={v.voice}
        onChange={(e) => setV({ ...v, voice: e.target.value })}
      />
      <div className="shot-form-actions">
        <button type="button" className="button secondary button-sm" onClick={onCancel} disabled={saving}>
          Cancel
        </button>
        <button type="submit" className="button primary button-sm" data-testid="character-save" disabled={saving}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
