import { useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { bindAccount, type Platform } from '../../api/publish';
import { useLocale, useT } from '../../i18n';
import { credentialLabel, credentialsBody, emptyCredentials, isSecretCredential, platformName, publishErrorText, validateCredentials } from '../../lib/publish';
import { hasErrors, type FieldErrors } from '../../lib/validation';
import { AlertIcon } from '../Icons';

interface Props {
  platform: Platform;
  /** Told the platform as it is now bound (`bound: true`, `account`). */
  onBound?: (p: Platform) => void;
  onCancel: () => void;
}

/**
 * Binds an account: one input per field the platform names (a password field for a secret or a
 * token, never filled back in). `POST /publish/platforms/bind`; the answer never carries them.
 */
export function BindAccountForm({ platform, onBound, onCancel }: Props) {
  const t = useT();
  const locale = useLocale();
  const id = useId();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<string, string>>(() => emptyCredentials(platform));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const name = platformName(platform, locale);

  async function submit(e: FormEvent) {
    e.preventDefault();
    e.stopPropagation();
    if (busy) return;
    const found = validateCredentials(platform, values);
    setErrors(found);
    setFormError(null);
    if (hasErrors(found)) return;
    setBusy(true);
    try {
      const p = await bindAccount(queryClient, platform.platform, credentialsBody(platform, values));
      // The secrets typed are not kept once sent.
      setValues(emptyCredentials(platform));
      onBound?.(p);
    } catch (err) {
      setFormError(publishErrorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form bind-form" onSubmit={(e) => void submit(e)} noValidate data-testid="bind-form" data-platform={platform.platform} aria-label={t('publish.bind.label', { name })}>
      <p className="muted create-hint">{t('publish.bind.intro', { name })}</p>
      {platform.credentials.map((field) => {
        const inputId = `${id}-${field}`;
        const secret = isSecretCredential(field);
        return (
          <div className="form-field" key={field}>
            <label htmlFor={inputId}>{credentialLabel(field)}</label>
            <input
              id={inputId}
              className={`input input-sm${errors[field] ? ' invalid' : ''}`}
              type={secret ? 'password' : 'text'}
              autoComplete={secret ? 'new-password' : 'off'}
              spellCheck={false}
              maxLength={1024}
              value={values[field] ?? ''}
              aria-invalid={errors[field] ? true : undefined}
              data-testid={`bind-${field}`}
              data-credential={field}
              onChange={(e) => {
                const v = e.target.value;
                setValues((x) => ({ ...x, [field]: v }));
                if (errors[field]) setErrors((x) => ({ ...x, [field]: undefined }));
              }}
            />
            {errors[field] && (
              <p className="field-error" data-testid={`bind-${field}-error`}>
                {errors[field]}
              </p>
            )}
          </div>
        );
      })}
      {formError && (
        <p className="form-error" role="alert" data-testid="bind-error">
          <AlertIcon size={14} /> {formError}
        </p>
      )}
      <p className="muted create-hint">{t('publish.bind.sealed')}</p>
      <div className="bind-actions">
        <button type="submit" className="button primary button-sm" disabled={busy} data-testid="bind-submit">
          {busy && <span className="spinner spinner-sm" aria-hidden="true" />}
          {busy ? t('publish.bind.binding') : t('publish.bind.submit')}
        </button>
        <button type="button" className="button secondary button-sm" disabled={busy} onClick={onCancel} data-testid="bind-cancel">
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
