import { useState, type FormEvent } from 'react';
import { generateImage, IMAGE_SIZES, MEDIA_LIMITS, type ImageMade, type ImageRequest, type ImageSize } from '../../api/create';
import { useT } from '../../i18n';
import { creditsUsedLabel, EMPTY_IMAGE_FORM, IMAGE_FIELDS, imageRequest, validateImageForm, type ImageField, type ImageForm } from '../../lib/create';
import { isSendShortcut } from '../../lib/keyboard';
import { routeHash } from '../../lib/route';
import { CreationImage } from './CreationFile';
import { MediaError, MediaField, MediaProgress, useFieldErrors } from './MediaField';
import { useMediaRequest, type MediaRequestState } from './useMediaRequest';

interface Props {
  canEdit: boolean;
  initialForm?: ImageForm;
  initialState?: MediaRequestState<ImageRequest, ImageMade>;
}

/** The size's label: its shape and its pixels ("Square · 1024×1024"). */
function sizeLabel(size: ImageSize, t: ReturnType<typeof useT>): string {
  const [w, h] = size.split('x').map(Number) as [number, number];
  const shape = w === h ? t('create.image.square') : w > h ? t('create.image.landscape') : t('create.image.portrait');
  return t('create.image.sizeOption', { shape, width: w, height: h });
}

/**
 * Images: what to draw, its size, what to keep out and a seed; drawn with the image model at its
 * price (or offline, free, by the built-in renderer); then the picture.
 */
export function ImageTool({ canEdit, initialForm = EMPTY_IMAGE_FORM, initialState }: Props) {
  const t = useT();
  const [form, setForm] = useState<ImageForm>(initialForm);
  const req = useMediaRequest<ImageRequest, ImageMade>((body, key) => generateImage(body, { idempotencyKey: key }));
  const state = initialState && req.state.status === 'idle' ? initialState : req.state;
  const fe = useFieldErrors(IMAGE_FIELDS, state.status === 'error' ? state.error : null, 'image');
  const busy = state.status === 'sending';

  function change<K extends keyof ImageForm>(key: K, field: ImageField, value: ImageForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    fe.touch(field);
  }

  function submit(e?: FormEvent) {
    e?.preventDefault();
    if (busy || !canEdit) return;
    if (!fe.check(validateImageForm(form))) return;
    req.start(imageRequest(form));
  }

  return (
    <div className="create-workspace" data-testid="image-tool">
      <section className="panel create-section" aria-label={t('create.image.title')}>
        <form
          className="form writing-form"
          noValidate
          onSubmit={submit}
          data-testid="image-form"
          onKeyDown={(e) => {
            if (!isSendShortcut(e) || e.repeat) return;
            e.preventDefault();
            submit();
          }}
        >
          <header className="writing-form-head">
            <h2>{t('create.image.title')}</h2>
            <p className="muted">{t('create.image.description')}</p>
          </header>
          <MediaField prefix="image" name="prompt" label={t('create.image.prompt')} error={fe.errors.prompt} inputClass="input textarea">
            {(p) => (
              <textarea {...p} rows={4} value={form.prompt} maxLength={MEDIA_LIMITS.prompt} placeholder={t('create.image.promptPlaceholder')} onChange={(e) => change('prompt', 'prompt', e.target.value)} />
            )}
          </MediaField>
          <MediaField prefix="image" name="size" label={t('create.image.size')} error={fe.errors.size} inputClass="input select image-size">
            {(p) => (
              <select {...p} value={form.size} onChange={(e) => change('size', 'size', e.target.value as ImageSize)}>
                {IMAGE_SIZES.map((s) => (
                  <option key={s} value={s}>
                    {sizeLabel(s, t)}
                  </option>
                ))}
              </select>
            )}
          </MediaField>
          <MediaField prefix="image" name="negative_prompt" label={t('create.image.negativePrompt')} optional error={fe.errors.negative_prompt}>
            {(p) => (
              <input
                {...p}
                value={form.negativePrompt}
                maxLength={MEDIA_LIMITS.prompt}
                placeholder={t('create.image.negativePlaceholder')}
                onChange={(e) => change('negativePrompt', 'negative_prompt', e.target.value)}
              />
            )}
          </MediaField>
          <MediaField
            prefix="image"
            name="seed"
            label={t('create.image.seed')}
            optional
            error={fe.errors.seed}
            inputClass="input image-seed"
            hint={<p className="muted create-hint">{t('create.image.seedHint')}</p>}
          >
            {(p) => <input {...p} inputMode="numeric" value={form.seed} onChange={(e) => change('seed', 'seed', e.target.value)} />}
          </MediaField>
          <p className="muted create-hint">{t('create.image.costNote')}</p>
          <div className="writing-actions">
            <button type="submit" className="button primary" disabled={busy || !canEdit} data-testid="image-generate">
              {busy && <span className="spinner spinner-sm" aria-hidden="true" />}
              {busy ? t('create.image.generating') : t('create.image.generate')}
            </button>
          </div>
          {!canEdit && <p className="muted create-hint">{t('create.form.viewerNote')}</p>}
        </form>
      </section>
      <section className="panel create-section" aria-labelledby="image-result-title">
        <h2 id="image-result-title">{t('create.result.title')}</h2>
        {state.status === 'idle' && (
          <p className="muted generation-empty" data-testid="image-idle">
            {t('create.image.empty')}
          </p>
        )}
        {state.status === 'sending' && <MediaProgress testId="image-progress" label={t('create.image.working')} since={state.since} note={t('create.media.leaveNote')} />}
        {state.status === 'error' && !fe.serverNamedField && <MediaError error={state.error} testId="image-error" onRetry={req.retry} />}
        {state.status === 'done' && state.result && (
          <section className="generation" data-testid="image-done" data-creation-id={state.result.creation_id}>
            <CreationImage url={state.result.image_url} alt={state.result.creation.title} testId="image-result" />
            <p className="creation-meta">
              <span className="chip" data-testid="image-credits">
                {creditsUsedLabel(state.result.credits_used)}
              </span>
              <a href={routeHash({ name: 'creations' })} data-testid="image-creations-link">
                {t('create.result.openCreations')}
              </a>
            </p>
          </section>
        )}
      </section>
    </div>
  );
}
