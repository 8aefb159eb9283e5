import { useEffect, useState, type ReactNode } from 'react';
import { useT } from '../../i18n';
import { isCreditsError, mediaFieldErrors } from '../../lib/create';
import { formatDuration } from '../../lib/format';
import { routeHash } from '../../lib/route';
import { hasErrors, type FieldErrors } from '../../lib/validation';
import { ApiError, errorMessage } from '../../transport';
import { AlertIcon } from '../Icons';

/** The props a field's input takes. */
export interface MediaInputProps {
  id: string;
  'data-field': string;
  'data-testid': string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
  className: string;
}

interface FieldProps {
  /** The form's prefix (`deck`, `image`, `video`): ids and test ids are `<prefix>-<name>`. */
  prefix: string;
  name: string;
  label: string;
  optional?: boolean;
  error?: string | undefined;
  hint?: ReactNode;
  /** The input's base class (`input`, `input textarea`…); `invalid` is added with an error. */
  inputClass?: string;
  children: (props: MediaInputProps) => ReactNode;
}

/** A field of the deck, image and video forms: label, input, hint and the message (the form's checks or the server's 422). */
export function MediaField({ prefix, name, label, optional = false, error, hint, inputClass = 'input', children }: FieldProps) {
  const t = useT();
  const inputId = `${prefix}-${name}-input`;
  return (
    <div className="form-field" data-testid={`${prefix}-field-${name}`}>
      <label htmlFor={inputId}>
        {label}
        {optional ? <span className="optional">{t('create.form.optional')}</span> : <span className="required" aria-hidden="true"> *</span>}
      </label>
      {children({
        id: inputId,
        'data-field': name,
        'data-testid': `${prefix}-${name}`,
        'aria-invalid': error ? true : undefined,
        'aria-describedby': error ? `${inputId}-error` : undefined,
        className: `${inputClass}${error ? ' invalid' : ''}`,
      })}
      {hint}
      {error && (
        <p className="field-error" id={`${inputId}-error`} data-testid={`${prefix}-${name}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * A refused or failed request: its message in the UI's language; for 402, a link to Credits; Try
 * again when another attempt may work (the network, a model that failed, a rate limit).
 */
export function MediaError({ error, testId, onRetry, notCharged = true }: { error: unknown; testId: string; onRetry?: (() => void) | undefined; notCharged?: boolean }) {
  const t = useT();
  const credits = isCreditsError(error);
  /** No answer came: the server may have made it all the same (it is then in Creations). */
  const lost = error instanceof ApiError && error.status === 0;
  const retryable = error instanceof ApiError ? error.retryable || lost : true;
  const message = errorMessage(error);
  return (
    <div className="form-error generation-alert" role="alert" data-testid={testId} data-code={error instanceof ApiError ? error.error_code : undefined}>
      <AlertIcon size={14} />
      <span>
        {message}
        {lost ? <> {t('create.media.lostNote')}</> : notCharged && !/\bcharged\b/i.test(message) && <> {t('create.result.notCharged')}</>}
        {credits && (
          <>
            {' '}
            <a href={routeHash({ name: 'credits' })} data-testid={`${testId}-credits`}>
              {t('create.media.addCredits')}
            </a>
          </>
        )}
      </span>
      {!credits && retryable && onRetry && (
        <button type="button" className="button secondary button-sm" data-testid={`${testId}-retry`} onClick={onRetry}>
          {t('common.tryAgain')}
        </button>
      )}
    </div>
  );
}

/** Seconds since `since` (ms), ticking every second while shown. */
export function useElapsed(since: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (since === null) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [since]);
  return since === null ? 0 : Math.max(0, Math.floor((now - since) / 1000));
}

/** "Working… 0:42" with a spinner, and what leaving the page means. */
export function MediaProgress({ label, since, note, testId }: { label: string; since: number | null; note: string; testId: string }) {
  const elapsed = useElapsed(since);
  return (
    <div className="generation" data-testid={testId} aria-busy="true">
      <div className="generation-head">
        <span className="spinner spinner-sm" aria-hidden="true" />
        <strong>{label}</strong>
        {elapsed > 0 && <span className="chip">{formatDuration(elapsed)}</span>}
      </div>
      <p className="muted create-hint">{note}</p>
    </div>
  );
}

/**
 * A form's messages by field: its own checks (until the field is edited) and the field a refused
 * request named (until that field is edited, as the writing form does).
 */
export function useFieldErrors(fields: readonly string[], serverError: unknown, prefix: string) {
  const [client, setClient] = useState<FieldErrors>({});
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set());
  const server = mediaFieldErrors(serverError, fields);
  const errors: FieldErrors = { ...Object.fromEntries(Object.entries(server).filter(([k]) => !edited.has(k))), ...client };
  return {
    errors,
    /** Whether the refused request named a field the form shows (its message is there, not in an alert). */
    serverNamedField: Object.keys(server).length > 0,
    touch(field: string) {
      if (client[field]) setClient((e) => ({ ...e, [field]: undefined }));
      if (!edited.has(field)) setEdited((s) => new Set(s).add(field));
    },
    /** Shows the form's own problems; true when there are none. The first field at fault gets the focus. */
    check(found: FieldErrors): boolean {
      setClient(found);
      setEdited(new Set());
      if (!hasErrors(found)) return true;
      const first = fields.find((f) => found[f]);
      if (first) document.querySelector<HTMLElement>(`[data-testid="${prefix}-${first}"]`)?.focus();
      return false;
    },
  };
}
