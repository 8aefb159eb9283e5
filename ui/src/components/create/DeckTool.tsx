import { useState, type FormEvent } from 'react';
import { generateDeck, MEDIA_LIMITS, type DeckMade, type DeckRequest } from '../../api/create';
import { useT } from '../../i18n';
import { creditsUsedLabel, DECK_FIELDS, deckRequest, EMPTY_DECK_FORM, outlinePoint, parseOutline, validateDeckForm, type DeckField, type DeckForm } from '../../lib/create';
import { isSendShortcut } from '../../lib/keyboard';
import { routeHash } from '../../lib/route';
import { DownloadIcon } from '../Icons';
import { MediaError, MediaField, MediaProgress, useFieldErrors } from './MediaField';
import { useMediaRequest, type MediaRequestState } from './useMediaRequest';
import { useCreationDownload } from './CreationFile';

interface Props {
  /** The person may generate (not a viewer). */
  canEdit: boolean;
  /** The form as it starts (tests). */
  initialForm?: DeckForm;
  /** The request's state as it starts (tests). */
  initialState?: MediaRequestState<DeckRequest, DeckMade>;
}

/**
 * Slide decks: a topic, an outline a slide a line (`标题：要点一；要点二` gives a slide its
 * bullets) and what to keep in mind; one request, which may take minutes with a model; then how
 * many slides, what it cost, and the `.pptx` to download.
 */
export function DeckTool({ canEdit, initialForm = EMPTY_DECK_FORM, initialState }: Props) {
  const t = useT();
  const [form, setForm] = useState<DeckForm>(initialForm);
  const req = useMediaRequest<DeckRequest, DeckMade>((body, key) => generateDeck(body, { idempotencyKey: key }));
  const state = initialState && req.state.status === 'idle' ? initialState : req.state;
  const fe = useFieldErrors(DECK_FIELDS, state.status === 'error' ? state.error : null, 'deck');
  const busy = state.status === 'sending';
  const points = parseOutline(form.outline);

  function change(field: DeckField, value: string) {
    setForm((f) => ({ ...f, [field]: value }));
    fe.touch(field);
  }

  function submit(e?: FormEvent) {
    e?.preventDefault();
    if (busy || !canEdit) return;
    if (!fe.check(validateDeckForm(form))) return;
    req.start(deckRequest(form));
  }

  return (
    <div className="create-workspace" data-testid="deck-tool">
      <section className="panel create-section" aria-label={t('create.deck.title')}>
        <form
          className="form writing-form"
          noValidate
          onSubmit={submit}
          data-testid="deck-form"
          onKeyDown={(e) => {
            if (!isSendShortcut(e) || e.repeat) return;
            e.preventDefault();
            submit();
          }}
        >
          <header className="writing-form-head">
            <h2>{t('create.deck.title')}</h2>
            <p className="muted">{t('create.deck.description')}</p>
          </header>
          <MediaField prefix="deck" name="topic" label={t('create.deck.topic')} error={fe.errors.topic}>
            {(p) => (
              <input {...p} value={form.topic} maxLength={MEDIA_LIMITS.topic} placeholder={t('create.deck.topicPlaceholder')} onChange={(e) => change('topic', e.target.value)} />
            )}
          </MediaField>
          <MediaField
            prefix="deck"
            name="outline"
            label={t('create.deck.outline')}
            error={fe.errors.outline}
            inputClass="input textarea deck-outline"
            hint={
              <div className="muted create-hint" data-testid="deck-outline-hint">
                <p className="create-hint">{t('create.deck.outlineHint', { max: MEDIA_LIMITS.outlinePoints })}</p>
                {points.length > 0 && (
                  <p className={`create-hint${points.length > MEDIA_LIMITS.outlinePoints ? ' writing-short' : ''}`} data-testid="deck-slide-count">
                    {t('create.deck.slideCount', { count: points.length + 1, points: points.length })}
                  </p>
                )}
              </div>
            }
          >
            {(p) => (
              <textarea {...p} rows={8} value={form.outline} placeholder={t('create.deck.outlinePlaceholder')} onChange={(e) => change('outline', e.target.value)} />
            )}
          </MediaField>
          {points.length > 0 && (
            <ol className="deck-outline-preview" data-testid="deck-outline-preview" aria-label={t('create.deck.preview')}>
              {points.slice(0, MEDIA_LIMITS.outlinePoints).map((point, i) => {
                const { title, bullets } = outlinePoint(point);
                return (
                  <li key={i} data-testid="deck-outline-point">
                    <strong>{title}</strong>
                    {bullets.length > 0 && <span className="muted"> — {bullets.join(' · ')}</span>}
                  </li>
                );
              })}
            </ol>
          )}
          <MediaField prefix="deck" name="requirements" label={t('create.form.requirements')} optional error={fe.errors.requirements} inputClass="input textarea">
            {(p) => (
              <textarea
                {...p}
                rows={3}
                value={form.requirements}
                maxLength={MEDIA_LIMITS.requirements}
                placeholder={t('create.deck.requirementsPlaceholder')}
                onChange={(e) => change('requirements', e.target.value)}
              />
            )}
          </MediaField>
          <p className="muted create-hint">{t('create.deck.costNote')}</p>
          <div className="writing-actions">
            <button type="submit" className="button primary" disabled={busy || !canEdit} data-testid="deck-generate">
              {busy && <span className="spinner spinner-sm" aria-hidden="true" />}
              {busy ? t('create.deck.generating') : t('create.deck.generate')}
            </button>
          </div>
          {!canEdit && <p className="muted create-hint">{t('create.form.viewerNote')}</p>}
        </form>
      </section>
      <section className="panel create-section" aria-labelledby="deck-result-title">
        <h2 id="deck-result-title">{t('create.result.title')}</h2>
        {state.status === 'idle' && (
          <p className="muted generation-empty" data-testid="deck-idle">
            {t('create.deck.empty')}
          </p>
        )}
        {state.status === 'sending' && <MediaProgress testId="deck-progress" label={t('create.deck.working')} since={state.since} note={t('create.media.leaveNote')} />}
        {state.status === 'error' && !fe.serverNamedField && <MediaError error={state.error} testId="deck-error" onRetry={req.retry} />}
        {state.status === 'done' && state.result && <DeckResult deck={state.result} />}
      </section>
    </div>
  );
}

/** A deck made: its slides, what it cost, the `.pptx` to download, the outline it became. */
export function DeckResult({ deck }: { deck: DeckMade }) {
  const t = useT();
  const fileName = deck.creation.file_name || `${deck.creation.title || 'deck'}.pptx`;
  const download = useCreationDownload(deck.download_url, fileName);
  return (
    <section className="generation" data-testid="deck-done" data-creation-id={deck.creation_id}>
      <p className="creation-meta">
        <span className="chip" data-testid="deck-slides">
          {t('create.deck.slides', { count: deck.slide_count })}
        </span>
        <span className="chip" data-testid="deck-credits">
          {creditsUsedLabel(deck.credits_used)}
        </span>
      </p>
      <div className="creation-actions">
        <a className="button primary button-sm" href={download.href} download={fileName} data-testid="deck-download" onClick={download.onClick} aria-disabled={download.busy || undefined}>
          {download.busy ? <span className="spinner spinner-sm" aria-hidden="true" /> : <DownloadIcon />}
          {t('create.deck.download')}
        </a>
        <a href={routeHash({ name: 'creations' })} data-testid="deck-creations-link">
          {t('create.result.openCreations')}
        </a>
      </div>
      {deck.creation.content && (
        <div className="generation-preview" data-testid="deck-content" role="document" tabIndex={0} aria-label={t('create.deck.preview')}>
          {deck.creation.content}
        </div>
      )}
    </section>
  );
}
