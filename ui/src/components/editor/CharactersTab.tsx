import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { loadOf } from '../../api/load';
import { keys, useCharacters, useVoiceMatch, useVoices } from '../../api/queries';
import { useDebounced } from '../../lib/useDebounced';
import { addCharacterImage, confirmCharacter, createCharacter, previewVoice, removeCharacterImage, updateCharacter } from '../../api/characters';
import type { Character, Page, VoiceInfo } from '../../api/types';
import { Trans, i18n, t as translate, useLocale, useT } from '../../i18n';
import { formatNumber } from '../../lib/format';
import { validateName } from '../../lib/validation';
import { ApiError, apiUrl, errorMessage, fieldErrorMessage } from '../../transport';
import { AlertIcon, CheckIcon, ImageIcon, PencilIcon, PlusIcon } from '../Icons';
import { useToasts } from '../Toasts';

export function CharactersTab({ projectId }: { projectId: string }) {
  const t = useT();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const characters = loadOf(useCharacters(projectId));
  const load = characters.kind === 'ready' ? { kind: 'ready' as const, items: characters.data.items } : characters;
  const [editingId, setEditingId] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const reload = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.characters(projectId) }), [queryClient, projectId]);
  const setItems = (f: (items: Character[]) => Character[]) =>
    queryClient.setQueryData<Page<Character>>(keys.characters(projectId), (d) => (d ? { ...d, items: f(d.items) } : d));

  function replace(c: Character) {
    setItems((items) => items.map((x) => (x.id === c.id ? c : x)));
  }

  async function confirm(c: Character) {
    try {
      replace(await confirmCharacter(c.id));
      toasts.show({ kind: 'success', message: t('characters.confirmed', { name: c.name }) });
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    }
  }

  async function upload(c: Character, file: File) {
    try {
      replace(await addCharacterImage(c.id, file, file.name));
      toasts.show({ kind: 'success', message: t('characters.imageAdded', { name: c.name }) });
    } catch (e) {
      toasts.show({ kind: 'error', message: errorMessage(e) });
    }
  }

  if (load.kind === 'loading') return <span className="spinner" role="status" aria-label={t('characters.loading')} />;
  if (load.kind === 'error') {
    return (
      <section className="panel">
        <div className="load-error" role="alert" data-testid="characters-error">
          <AlertIcon size={22} />
          <div>
            <h2>{t('characters.loadError')}</h2>
            <p>{load.message}</p>
          </div>
          <button type="button" className="button secondary" onClick={reload}>
            {t('common.tryAgain')}
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
          onChanged={replace}
          onError={(m) => toasts.show({ kind: 'error', message: m })}
        />
      ))}
    </ul>
  );

  return (
    <div className="characters" data-testid="characters">
      <div className="toolbar">
        <p className="storyboard-summary">
          {t('characters.summary', { confirmed: formatNumber(confirmed.length), proposed: formatNumber(proposed.length) })}
        </p>
        <button type="button" className="button primary" data-testid="new-character" onClick={() => setCreating(true)} disabled={creating}>
          <PlusIcon />
          {t('characters.new')}
        </button>
      </div>
      {creating && (
        <CharacterForm
          title={t('characters.new')}
          initial={{ name: '', description: '', voice: '' }}
          submitLabel={t('common.create')}
          onCancel={() => setCreating(false)}
          onSubmit={async (v) => {
            const c = await createCharacter({ project_id: projectId, name: v.name, description: v.description || undefined, voice: v.voice || undefined });
            setItems((items) => [...items, c]);
            setCreating(false);
            toasts.show({ kind: 'success', message: t('characters.created', { name: c.name }) });
          }}
          onError={(m) => toasts.show({ kind: 'error', message: m })}
        />
      )}
      {load.items.length === 0 && !creating && (
        <div className="empty-state" data-testid="characters-empty">
          <h2>{t('characters.empty')}</h2>
          <p>{t('characters.emptyBody')}</p>
        </div>
      )}
      {proposed.length > 0 && (
        <section className="character-section" aria-labelledby="chars-proposed" data-testid="characters-proposed">
          <h3 id="chars-proposed">{t('characters.proposedSection')}</h3>
          {renderList(proposed)}
        </section>
      )}
      {confirmed.length > 0 && (
        <section className="character-section" aria-labelledby="chars-confirmed" data-testid="characters-confirmed">
          <h3 id="chars-confirmed">{t('characters.confirmedSection')}</h3>
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
  onChanged,
  onError,
}: {
  character: Character;
  editing: boolean;
  onEdit: () => void;
  onDone: (updated: Character | null) => void;
  onConfirm: () => void;
  onUpload: (f: File) => void;
  onChanged: (c: Character) => void;
  onError: (m: string) => void;
}) {
  const t = useT();
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
          title={t('characters.editTitle', { name: c.name })}
          initial={{ name: c.name, description: c.description ?? '', voice: c.voice ?? '' }}
          submitLabel={t('common.save')}
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
              {c.status === 'proposed' ? t('characters.status.proposed') : t('characters.status.confirmed')}
            </span>
          </div>
          <p className={c.description ? 'character-description' : 'character-description muted-italic'}>
            {c.description || t('characters.noDescription')}
          </p>
          <p className="character-voice">
            <span className="muted">{t('characters.voiceIs')}</span> {c.voice || <span className="muted-italic">{t('characters.notSet')}</span>}
          </p>
          <p className="character-refs muted small">
            {t('characters.refCount', { count: c.reference_asset_ids.length, formatted: formatNumber(c.reference_asset_ids.length) })}
          </p>
          <ReferenceImages character={c} onChanged={onChanged} onError={onError} />
          <div className="character-actions">
            {c.status === 'proposed' && (
              <button type="button" className="button primary button-sm" data-testid="character-confirm" onClick={onConfirm} aria-label={t('characters.confirmAria', { name: c.name })}>
                <CheckIcon size={14} />
                {t('characters.confirm')}
              </button>
            )}
            <button type="button" className="button secondary button-sm" data-testid="character-edit" onClick={onEdit} aria-label={t('characters.editAria', { name: c.name })}>
              <PencilIcon size={14} />
              {t('common.edit')}
            </button>
            <button
              type="button"
              className="button secondary button-sm"
              data-testid="character-upload"
              onClick={() => fileRef.current?.click()}
              aria-label={t('characters.addImageAria', { name: c.name })}
            >
              <ImageIcon size={14} />
              {t('characters.addImage')}
            </button>
            <input
              ref={fileRef}
              type="file"
              accept="image/png,image/jpeg,image/webp,image/gif"
              className="visually-hidden-input"
              data-testid="character-image-input"
              tabIndex={-1}
              aria-label={t('characters.imageInput', { name: c.name })}
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
  const t = useT();
  const locale = useLocale();
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
      if (err instanceof ApiError && err.status === 409) setError(locale === 'en' ? err.detail : t('characters.nameTaken'));
      else if (err instanceof ApiError && err.field === 'name') setError(fieldErrorMessage(err));
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
      <label htmlFor={`${id}-name`}>{t('characters.name')}</label>
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
      <label htmlFor={`${id}-desc`}>{t('characters.description')}</label>
      <textarea
        id={`${id}-desc`}
        className="input textarea"
        rows={2}
        data-testid="character-description-input"
        value={v.description}
        onChange={(e) => setV({ ...v, description: e.target.value })}
      />
      <VoiceField id={`${id}-voice`} name={v.name} value={v.voice} onChange={(voice) => setV({ ...v, voice })} onError={onError} />
      <div className="shot-form-actions">
        <button type="button" className="button secondary button-sm" onClick={onCancel} disabled={saving}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="button primary button-sm" data-testid="character-save" disabled={saving}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}

/** The character's reference images: the main one marked, any other made main, any removed. */
function ReferenceImages({
  character: c,
  onChanged,
  onError,
}: {
  character: Character;
  onChanged: (c: Character) => void;
  onError: (m: string) => void;
}) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  if (c.reference_asset_ids.length === 0) return null;
  const main = c.image_asset_id ?? c.reference_asset_ids[0];
  async function act(f: () => Promise<Character>) {
    setBusy(true);
    try {
      onChanged(await f());
    } catch (e) {
      onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <ul className="character-ref-list" data-testid="character-refs" aria-label={t('characters.refsLabel', { name: c.name })}>
      {c.reference_asset_ids.map((assetId, i) => {
        const isMain = assetId === main;
        return (
          <li key={assetId} className="character-ref" data-testid="character-ref" data-asset-id={assetId} data-main={isMain ? 'true' : 'false'}>
            <img src={apiUrl(`/api/v1/assets/${encodeURIComponent(assetId)}/thumbnail`) ?? undefined} alt={t('characters.refAlt', { name: c.name, index: i + 1 })} loading="lazy" />
            {isMain ? (
              <span className="badge" data-testid="character-ref-main">
                {t('characters.main')}
              </span>
            ) : (
              <button
                type="button"
                className="button secondary button-sm"
                data-testid="character-ref-make-main"
                disabled={busy}
                aria-label={t('characters.makeMainAria', { name: c.name, index: i + 1 })}
                onClick={() => void act(() => updateCharacter(c.id, { image_asset_id: assetId }))}
              >
                {t('characters.makeMain')}
              </button>
            )}
            <button
              type="button"
              className="button secondary button-sm"
              data-testid="character-ref-remove"
              disabled={busy}
              aria-label={t('characters.removeAria', { name: c.name, index: i + 1 })}
              onClick={() => void act(() => removeCharacterImage(c.id, assetId))}
            >
              {t('common.remove')}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** A voice in a list: its name, and its gender when the model says ("cmn (female)", "cmn（女）"). */
function voiceOptionLabel(x: VoiceInfo): string {
  if (!x.gender) return x.name;
  return translate('characters.voiceOption', { name: x.name, gender: translate(`characters.gender.${x.gender}`) });
}

/** Shaped like a voice name a TTS model knows (`cmn`, `en-us+f3`); anything else is a description. */
export function isVoiceName(s: string): boolean {
  return s.length > 0 && s.length <= 64 && !s.startsWith('-') && /^[A-Za-z0-9_+/-]+$/.test(s);
}

/** `zh` when the text has Chinese characters, else `en` (as the server picks a line's language). */
export function languageOf(text: string): 'zh' | 'en' {
  return /[\u4e00-\u9fff]/.test(text) ? 'zh' : 'en';
}

/**
 * A character's voice: a voice picked from the TTS model's list (with a variant), or a description
 * that the server maps to the nearest voice (shown as you type); either can be auditioned.
 */
function VoiceField({
  id,
  name,
  value,
  onChange,
  onError,
}: {
  id: string;
  name: string;
  value: string;
  onChange: (voice: string) => void;
  onError: (m: string) => void;
}) {
  const t = useT();
  const [language, setLanguage] = useState<'zh' | 'en'>(() => languageOf(name || value));
  const voiceList = useVoices(language);
  const list = voiceList.isError ? null : (voiceList.data ?? null);
  const settledValue = useDebounced(value, 250);
  const voiceMatch = useVoiceMatch(settledValue, language);
  const matched = voiceMatch.isError ? null : (voiceMatch.data ?? null);
  const [audio, setAudio] = useState<{ url: string; voice: string } | null>(null);
  const [playing, setPlaying] = useState(false);
  // Picked from the list, or typed as a description (which may look like a name while typed).
  const [mode, setMode] = useState<'pick' | 'describe'>(() => (isVoiceName(value) ? 'pick' : 'describe'));
  const picked = mode === 'pick' && value !== '';
  const [base, variant] = picked ? (value.split('+', 2) as [string, string?]) : ['', undefined];
  const description = mode === 'describe' ? value : '';


  useEffect(() => () => {
    if (audio) URL.revokeObjectURL(audio.url);
  }, [audio]);

  async function audition() {
    setPlaying(true);
    try {
      const line = language === 'zh' ? `你好，我是${name.trim() || '这个角色'}。` : `Hello, I am ${name.trim() || 'this character'}.`;
      const blob = await previewVoice(value, line);
      const url = URL.createObjectURL(blob);
      setAudio({ url, voice: value });
      // Headless or muted browsers may refuse to play; the audition is still there to play.
      await new Audio(url).play().catch(() => undefined);
    } catch (e) {
      onError(errorMessage(e));
    } finally {
      setPlaying(false);
    }
  }

  const voices = list?.voices ?? [];
  const known = !picked || voices.some((x) => x.id === base);
  return (
    <fieldset className="voice-field" data-testid="character-voice">
      <legend>{t('characters.voice')}</legend>
      <div className="voice-row">
        <select
          aria-label={t('characters.voiceLanguage')}
          className="input input-sm"
          data-testid="character-voice-language"
          value={language}
          onChange={(e) => setLanguage(e.target.value as 'zh' | 'en')}
        >
          <option value="zh">中文</option>
          <option value="en">English</option>
        </select>
        <select
          id={id}
          aria-label={t('characters.voice')}
          className="input input-sm"
          data-testid="character-voice-select"
          value={picked ? base : ''}
          onChange={(e) => {
            setMode(e.target.value ? 'pick' : 'describe');
            onChange(e.target.value);
          }}
        >
          <option value="">{description ? t('characters.fromDescription') : t('characters.defaultVoice')}</option>
          {!known && <option value={base}>{base}</option>}
          {voices.map((x) => (
            <option key={x.id} value={x.id}>
              {voiceOptionLabel(x)}
            </option>
          ))}
        </select>
        {picked && (list?.variants.length ?? 0) > 0 && (
          <select
            aria-label={t('characters.voiceVariant')}
            className="input input-sm"
            data-testid="character-voice-variant"
            value={variant ?? ''}
            onChange={(e) => onChange(e.target.value ? `${base}+${e.target.value}` : base)}
          >
            <option value="">{t('characters.plain')}</option>
            {list?.variants.map((x) => (
              <option key={x.id} value={x.id}>
                {voiceOptionLabel(x)}
              </option>
            ))}
          </select>
        )}
        <button
          type="button"
          className="button secondary button-sm"
          data-testid="character-voice-play"
          aria-label={t('characters.auditionAria')}
          disabled={playing}
          onClick={() => void audition()}
        >
          {playing ? t('characters.playing') : t('characters.audition')}
        </button>
      </div>
      <input
        className="input input-sm"
        aria-label={t('characters.voiceDescription')}
        data-testid="character-voice-input"
        placeholder={t('characters.voicePlaceholder')}
        value={description}
        onChange={(e) => {
          setMode('describe');
          onChange(e.target.value);
        }}
      />
      {list?.note && <p className="muted small">{list.note}</p>}
      {matched && (
        <p className="muted small" data-testid="character-voice-match" data-voice={matched.voice} data-pitch={matched.pitch ?? ''}>
          <Trans
            i18n={i18n}
            t={t}
            i18nKey={matched.described ? 'characters.matchDescribed' : 'characters.matchNamed'}
            values={{ voice: matched.voice }}
            components={{ voice: <code /> }}
          />
          {matched.pitch !== null ? t('characters.matchPitch', { pitch: matched.pitch }) : ''}
        </p>
      )}
      {audio && <audio className="voice-audio" data-testid="character-voice-audio" data-voice={audio.voice} src={audio.url} controls />}
    </fieldset>
  );
}
