import { useId, useState, type FormEvent } from 'react';
import { DEFAULT_MODE, MODES, type Mode, type SummarizeInput } from '../../api/summarize';
import { useLocale, useT } from '../../i18n';
import { isHttpUrl, MODE_LABELS } from '../../lib/summarize';

/** Video files the picker offers (anything ffmpeg reads is taken; this only narrows the dialog). */
export const VIDEO_ACCEPT = 'video/*,audio/*,.mp4,.mov,.mkv,.webm,.m4a,.mp3,.wav';
export const SUBTITLES_ACCEPT = '.srt,.vtt,text/vtt,application/x-subrip';
/** The server's limit on `focus`. */
/** As the server takes it (docs/SUMMARIZE.md). */
export const FOCUS_MAX_CHARS = 500;

type SourceKind = 'url' | 'file';

interface Props {
  /** Passed as `project_id`: the analysis is listed with the project's. */
  projectId?: string;
  busy: boolean;
  disabled?: boolean;
  onStart: (input: SummarizeInput) => void;
  /** Narrow layout (the editor's side panel). */
  compact?: boolean;
}

/**
 * What to analyse: an address or a file (with optional subtitles), the mode and a focus; and what
 * it costs (charged only when the summary completes; a cache hit is free).
 */
export function SummarizeForm({ projectId, busy, disabled = false, onStart, compact = false }: Props) {
  const t = useT();
  useLocale();
  const id = useId();
  const [source, setSource] = useState<SourceKind>('url');
  const [url, setUrl] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [subtitles, setSubtitles] = useState<File | null>(null);
  const [mode, setMode] = useState<Mode>(DEFAULT_MODE);
  const [focus, setFocus] = useState('');
  const [error, setError] = useState<string | null>(null);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (busy || disabled) return;
    const common = { mode, focus: focus.trim() || undefined, projectId };
    if (source === 'url') {
      if (!isHttpUrl(url)) {
        setError(url.trim() ? t('summarize.form.badUrl') : t('summarize.form.needUrl'));
        return;
      }
      setError(null);
      onStart({ ...common, url: url.trim() });
      return;
    }
    if (!file) {
      setError(t('summarize.form.needFile'));
      return;
    }
    setError(null);
    onStart({ ...common, file, subtitles });
  }

  return (
    <form className={`form summarize-form${compact ? ' compact' : ''}`} onSubmit={submit} noValidate data-testid="summarize-form">
      <div className="segmented" role="group" aria-label={t('summarize.form.source')}>
        {(['url', 'file'] as const).map((k) => (
          <button
            key={k}
            type="button"
            className={`segment${source === k ? ' active' : ''}`}
            aria-pressed={source === k}
            data-testid={`summarize-source-${k}`}
            onClick={() => {
              setSource(k);
              setError(null);
            }}
          >
            {k === 'url' ? t('summarize.form.fromUrl') : t('summarize.form.fromFile')}
          </button>
        ))}
      </div>
      {source === 'url' ? (
        <div className="form-field">
          <label htmlFor={`${id}-url`}>{t('summarize.form.url')}</label>
          <input
            id={`${id}-url`}
            className={`input${error ? ' invalid' : ''}`}
            type="url"
            inputMode="url"
            value={url}
            placeholder={t('summarize.form.urlPlaceholder')}
            data-testid="summarize-url"
            aria-invalid={error ? true : undefined}
            onChange={(e) => setUrl(e.target.value)}
          />
        </div>
      ) : (
        <>
          <div className="form-field">
            <label htmlFor={`${id}-file`}>{t('summarize.form.file')}</label>
            <input
              id={`${id}-file`}
              className="input summarize-file"
              type="file"
              accept={VIDEO_ACCEPT}
              data-testid="summarize-file"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </div>
          <div className="form-field">
            <label htmlFor={`${id}-subs`}>
              {t('summarize.form.subtitles')}
              <span className="optional">{t('summarize.form.optional')}</span>
            </label>
            <input
              id={`${id}-subs`}
              className="input summarize-file"
              type="file"
              accept={SUBTITLES_ACCEPT}
              data-testid="summarize-subtitles"
              onChange={(e) => setSubtitles(e.target.files?.[0] ?? null)}
            />
            <p className="muted summarize-hint">{t('summarize.form.subtitlesHint')}</p>
          </div>
        </>
      )}
      <ModeFocusFields id={id} mode={mode} focus={focus} onMode={setMode} onFocus={setFocus} testIdPrefix="summarize" />
      {error && (
        <p className="field-error" role="alert" data-testid="summarize-form-error">
          {error}
        </p>
      )}
      <p className="muted summarize-cost" data-testid="summarize-cost-note">
        {t('summarize.form.costNote')}
      </p>
      <div>
        <button type="submit" className="button primary" disabled={busy || disabled} data-testid="summarize-start">
          {busy && <span className="spinner spinner-sm" aria-hidden="true" />}
          {busy ? t('summarize.form.running') : t('summarize.form.start')}
        </button>
      </div>
    </form>
  );
}

/** The mode and focus fields, as the single analysis and the batch both ask them. */
export function ModeFocusFields({
  id,
  mode,
  focus,
  onMode,
  onFocus,
  testIdPrefix,
}: {
  id: string;
  mode: Mode;
  focus: string;
  onMode: (mode: Mode) => void;
  onFocus: (focus: string) => void;
  /** `summarize` or `batch`: the fields' test ids are `{prefix}-mode` and `{prefix}-focus`. */
  testIdPrefix: string;
}) {
  const t = useT();
  return (
    <div className="summarize-form-row">
      <div className="form-field">
        <label htmlFor={`${id}-mode`}>{t('summarize.form.mode')}</label>
        <select id={`${id}-mode`} className="input select" value={mode} data-testid={`${testIdPrefix}-mode`} onChange={(e) => onMode(e.target.value as Mode)}>
          {MODES.map((m) => (
            <option key={m} value={m}>
              {MODE_LABELS[m]}
            </option>
          ))}
        </select>
      </div>
      <div className="form-field">
        <label htmlFor={`${id}-focus`}>
          {t('summarize.form.focus')}
          <span className="optional">{t('summarize.form.optional')}</span>
        </label>
        <input
          id={`${id}-focus`}
          className="input"
          value={focus}
          maxLength={FOCUS_MAX_CHARS}
          placeholder={t('summarize.form.focusPlaceholder')}
          data-testid={`${testIdPrefix}-focus`}
          onChange={(e) => onFocus(e.target.value)}
        />
      </div>
    </div>
  );
}
