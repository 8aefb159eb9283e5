import { useEffect, useRef, type ReactNode, type RefObject } from 'react';
import type { Share } from '../../api/types';
import { useLocale, useT } from '../../i18n';
import { videoLengthText } from '../../lib/exportStatus';
import { formatDateTime } from '../../lib/format';
import { isFormStartKey } from '../../lib/keyboard';
import {
  SHARE_EXPIRY_DAYS,
  SHARE_PASSWORD_MAX,
  SHARE_PASSWORD_MIN,
  shareExpiryLabel,
  type ShareExpiryDays,
  type ShareForm,
  type ShareSubject,
} from '../../lib/shares';
import type { FieldErrors } from '../../lib/validation';
import { Field } from '../account/Field';
import { LinkIcon } from '../Icons';
import type { CopyState } from './useShareForm';

export interface ShareFormViewProps {
  /** What the link shows: an export (with the storyboard choice) or a summary. */
  subject: ShareSubject;
  form: ShareForm;
  errors: FieldErrors;
  formError: string | null;
  busy: boolean;
  /** Under the introduction: where the link is made (the desktop's team server). */
  note?: ReactNode;
  onChange: (patch: Partial<ShareForm>) => void;
  onSubmit: () => void;
  onCancel: () => void;
}

/**
 * What the link shows and for how long: storyboard or not (an export's link only), the expiry, an
 * optional password.
 */
export function ShareFormView(p: ShareFormViewProps) {
  const t = useT();
  useLocale();
  const e = p.subject.kind === 'export' ? p.subject.exportItem : null;
  const summaryTitle = p.subject.kind === 'summary' ? p.subject.title : null;
  return (
    <form
      className="modal-body form share-form"
      data-testid="share-form"
      noValidate
      onSubmit={(ev) => {
        ev.preventDefault();
        p.onSubmit();
      }}
      onKeyDown={(ev) => {
        // Enter on the checkbox or the select sends too, as in the export form.
        if (!isFormStartKey(ev.nativeEvent)) return;
        ev.preventDefault();
        p.onSubmit();
      }}
    >
      <p className="muted share-intro">
        {e
          ? t('shares.intro', { resolution: e.resolution, format: e.format.toUpperCase(), length: videoLengthText(e.duration ?? e.video_length) })
          : summaryTitle
            ? t('shares.summaryIntro', { title: summaryTitle })
            : t('shares.summaryIntroUntitled')}
      </p>
      {p.note}
      {e && (
        <div className="form-field">
          <label className="checkbox-row">
            <input
              type="checkbox"
              data-testid="share-include-storyboard"
              data-share-field="include_storyboard"
              checked={p.form.include_storyboard}
              disabled={p.busy}
              onChange={(ev) => p.onChange({ include_storyboard: ev.target.checked })}
            />
            <span>
              {t('shares.includeStoryboard')} <span className="muted">— {t('shares.includeStoryboardHint')}</span>
            </span>
          </label>
          {p.errors.include_storyboard && (
            <p className="field-error" data-testid="field-error-include_storyboard">
              {p.errors.include_storyboard}
            </p>
          )}
        </div>
      )}
      <div className="form-field">
        <label htmlFor="share-expiry">{t('shares.expiry')}</label>
        <select
          id="share-expiry"
          className={`input select${p.errors.expiry_days ? ' invalid' : ''}`}
          data-testid="share-expiry"
          data-share-field="expiry_days"
          value={p.form.expiry_days}
          disabled={p.busy}
          aria-invalid={p.errors.expiry_days ? true : undefined}
          aria-describedby={p.errors.expiry_days ? 'share-expiry-error' : undefined}
          onChange={(ev) => p.onChange({ expiry_days: Number(ev.target.value) as ShareExpiryDays })}
        >
          {SHARE_EXPIRY_DAYS.map((d) => (
            <option key={d} value={d}>
              {shareExpiryLabel(d)}
            </option>
          ))}
        </select>
        {p.errors.expiry_days && (
          <p className="field-error" id="share-expiry-error" data-testid="field-error-expires_at">
            {p.errors.expiry_days}
          </p>
        )}
      </div>
      <Field
        idPrefix="share"
        name="password"
        type="password"
        label={t('shares.password')}
        hint={t('shares.passwordHint', { min: SHARE_PASSWORD_MIN, max: SHARE_PASSWORD_MAX })}
        autoComplete="new-password"
        spellCheck={false}
        data-testid="share-password"
        data-share-field="password"
        value={p.form.password}
        disabled={p.busy}
        error={p.errors.password}
        onChange={(ev) => p.onChange({ password: ev.target.value })}
      />
      {p.formError && (
        <p className="form-error" role="alert" data-testid="share-form-error">
          {p.formError}
        </p>
      )}
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={p.onCancel} disabled={p.busy} data-testid="share-cancel">
          {t('common.cancel')}
        </button>
        <button type="submit" className="button primary" disabled={p.busy} data-testid="share-create" aria-keyshortcuts="Enter">
          <LinkIcon />
          {p.busy ? t('common.creating') : t('shares.create')}
        </button>
      </footer>
    </form>
  );
}

export interface ShareCreatedViewProps {
  share: Share;
  /** What the link shows (default: an export's video). */
  subjectKind?: ShareSubject['kind'];
  /** The link to hand out (absolute). */
  url: string;
  copy: CopyState;
  onCopy: () => void;
  onClose: () => void;
  /** The link's field, selected when copying fails (to copy by hand). */
  urlRef?: RefObject<HTMLInputElement | null>;
}

/** The link once made: the URL with Copy and Open, whether it needs the password, and its expiry. */
export function ShareCreatedView(p: ShareCreatedViewProps) {
  const t = useT();
  const locale = useLocale();
  const copyRef = useRef<HTMLButtonElement>(null);
  // The form (and the focus in it) is gone: Copy is what comes next.
  useEffect(() => copyRef.current?.focus(), []);
  return (
    <div className="modal-body form share-created" data-testid="share-created" data-share-id={p.share.id} data-status={p.share.status}>
      <p className="muted">
        {p.subjectKind === 'summary'
          ? p.share.has_password
            ? t('shares.summaryCreatedProtected')
            : t('shares.summaryCreatedOpen')
          : p.share.has_password
            ? t('shares.createdProtected')
            : t('shares.createdOpen')}
      </p>
      <div className="form-field">
        <label htmlFor="share-url">{t('shares.link')}</label>
        <div className="secret-row">
          <input
            id="share-url"
            ref={p.urlRef}
            className="input secret-input"
            readOnly
            value={p.url}
            data-testid="share-url"
            onFocus={(ev) => ev.currentTarget.select()}
          />
          <button type="button" ref={copyRef} className="button secondary" data-testid="share-copy" data-copy={p.copy} onClick={p.onCopy}>
            {p.copy === 'copied' ? t('common.copied') : t('common.copy')}
          </button>
          <a className="button secondary" href={p.url} target="_blank" rel="noopener noreferrer" data-testid="share-open" title={t('shares.openTitle')}>
            {t('shares.open')}
          </a>
        </div>
        {p.copy === 'failed' && (
          <p className="field-error" role="alert" data-testid="share-copy-failed">
            {t('shares.copyFailed')}
          </p>
        )}
      </div>
      <p className="muted" data-testid="share-expires" data-expires-at={p.share.expires_at ?? ''}>
        {p.share.expires_at ? t('shares.expiresOn', { date: formatDateTime(p.share.expires_at, locale) }) : t('shares.neverExpires')}
      </p>
      <footer className="modal-footer">
        <button type="button" className="button primary" onClick={p.onClose} data-testid="share-done">
          {t('secret.done')}
        </button>
      </footer>
    </div>
  );
}
