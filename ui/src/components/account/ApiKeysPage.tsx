import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useReducer, useState, type FormEvent } from 'react';
import { KEY_SCOPES, createApiKey, revokeApiKey, type ApiKey, type KeyLimits } from '../../api/accounts';
import { loadOf } from '../../api/load';
import { keys, useApiKeys, useRouterModels } from '../../api/queries';
import {
  KEY_EXPIRY_CHOICES,
  NO_ROUTER_LIMITS,
  apiKeyBody,
  revealReducer,
  serverFieldError,
  validateApiKeyForm,
  type ApiKeyForm,
} from '../../lib/accountForms';
import { Trans, i18n, useLocale, useT } from '../../i18n';
import { formatCount, formatDateTime, formatNumber, formatRelativeTime } from '../../lib/format';
import { hasErrors, type FieldErrors } from '../../lib/validation';
import { errorMessage } from '../../transport';
import { PlusIcon } from '../Icons';
import { Modal } from '../Modal';
import { SecretRevealDialog } from '../SecretRevealDialog';
import { useToasts } from '../Toasts';
import { useAuth } from './AuthContext';
import { Field } from './Field';

/** The server fields a 422 on a new key can name, as the form's fields. */
const KEY_FIELDS = ['name', 'scopes', 'expires_at', 'allowed_models', 'rate_limit_per_hour', 'credit_budget'];

export function ApiKeysPage() {
  const t = useT();
  const locale = useLocale();
  const auth = useAuth();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const load = loadOf(useApiKeys());
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [reveal, dispatch] = useReducer(revealReducer, { kind: 'none' });
  const reload = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.account.apiKeys }), [queryClient]);

  const now = new Date();

  return (
    <div className="page" data-testid="api-keys-page">
      <header className="page-header">
        <div>
          <h1>{t('nav.apiKeys')}</h1>
          <p className="page-subtitle">
            <Trans i18n={i18n} t={t} i18nKey="apiKeys.subtitle" components={{ code: <code /> }} />
          </p>
        </div>
        <div className="header-actions">
          <button type="button" className="button primary" onClick={() => setCreating(true)} data-testid="new-api-key">
            <PlusIcon />
            <span>{t('apiKeys.new')}</span>
          </button>
        </div>
      </header>
      <section className="panel">
        {load.kind === 'loading' && <p className="muted account-empty">{t('common.loadingEllipsis')}</p>}
        {load.kind === 'error' && (
          <div className="load-error" role="alert" data-testid="load-error">
            <div>
              <h2>{t('apiKeys.loadFailed')}</h2>
              <p>{load.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={reload}>
              {t('common.tryAgain')}
            </button>
          </div>
        )}
        {load.kind === 'ready' && load.data.items.length === 0 && (
          <p className="muted account-empty" data-testid="no-api-keys">
            {t('apiKeys.none')}
          </p>
        )}
        {load.kind === 'ready' && load.data.items.length > 0 && (
          <table className="data-table" data-testid="api-key-list">
            <thead>
              <tr>
                <th>{t('projects.colName')}</th>
                <th>{t('apiKeys.colKey')}</th>
                <th>{t('apiKeys.scopes')}</th>
                <th>{t('apiKeys.colLimits')}</th>
                <th>{t('apiKeys.expires')}</th>
                <th>{t('apiKeys.colLastUsed')}</th>
                <th>{t('projects.colStatus')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {load.data.items.map((k) => (
                <tr key={k.id} data-testid="api-key-row" data-key-id={k.id} data-status={k.status}>
                  <td className="cell-strong">{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{k.scopes.join(', ')}</td>
                  <td data-testid="api-key-limits">
                    <LimitsCell limits={k.limits} />
                  </td>
                  <td title={k.expires_at ? formatDateTime(k.expires_at, locale) : undefined}>
                    {k.expires_at ? formatDateTime(k.expires_at, locale) : t('apiKeys.never')}
                  </td>
                  <td title={k.last_used_at ? formatDateTime(k.last_used_at, locale) : undefined}>
                    {k.last_used_at ? formatRelativeTime(k.last_used_at, now, locale) : t('apiKeys.never')}
                  </td>
                  <td>
                    <span className={`badge key-status key-${k.status}`} data-testid="api-key-status">
                      {t(`apiKeys.status.${k.status}`)}
                    </span>
                  </td>
                  <td className="cell-actions-inline">
                    {k.status !== 'revoked' && (
                      <button
                        type="button"
                        className="button secondary button-sm"
                        onClick={() => setRevoking(k)}
                        data-testid="revoke-api-key"
                      >
                        {t('apiKeys.revoke')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      {creating && (
        <NewKeyDialog
          allowAdmin={auth?.user.is_admin ?? false}
          onClose={() => setCreating(false)}
          onCreated={(id, secret) => {
            setCreating(false);
            dispatch({ type: 'created', keyId: id, secret });
            reload();
          }}
        />
      )}

      {reveal.kind === 'shown' && (
        <SecretRevealDialog
          reveal={reveal}
          dispatch={dispatch}
          title={t('apiKeys.secretTitle')}
          warning={
            <Trans i18n={i18n} t={t} i18nKey="apiKeys.secretWarning" components={{ strong: <strong /> }} />
          }
          label={t('apiKeys.secretLabel')}
          noun={t('apiKeys.secretNoun')}
          closeLabel={t('apiKeys.stored')}
          testIds={{ dialog: 'api-key-secret-dialog', warning: 'secret-warning', secret: 'api-key-secret', copy: 'copy-api-key', close: 'close-secret' }}
        />
      )}

      {revoking && (
        <RevokeDialog
          apiKey={revoking}
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            try {
              await revokeApiKey(revoking.id);
              toasts.show({ kind: 'success', message: t('apiKeys.revoked', { name: revoking.name }) });
            } catch (e) {
              toasts.show({ kind: 'error', message: errorMessage(e) });
            }
            reload();
          }}
        />
      )}
    </div>
  );
}

function NewKeyDialog({
  allowAdmin,
  onClose,
  onCreated,
}: {
  allowAdmin: boolean;
  onClose: () => void;
  onCreated: (id: string, secret: string) => void;
}) {
  const t = useT();
  const [form, setForm] = useState<ApiKeyForm>({ name: '', scopes: ['read', 'write'], expires_in_days: 90, ...NO_ROUTER_LIMITS });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const scopes = KEY_SCOPES.filter((s) => s !== 'admin' || allowAdmin);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const found = validateApiKeyForm(form);
    setErrors(found);
    setFormError(null);
    if (hasErrors(found)) return;
    setBusy(true);
    try {
      const created = await createApiKey(apiKeyBody(form, new Date()));
      onCreated(created.id, created.key);
    } catch (err) {
      setBusy(false);
      const f = serverFieldError(err, KEY_FIELDS);
      if (f) setErrors({ [f.field === 'expires_at' ? 'expires_in_days' : f.field]: f.message });
      else setFormError(errorMessage(err));
    }
  }

  return (
    <Modal title={t('apiKeys.new')} onClose={onClose} busy={busy} testId="new-api-key-dialog">
      <form className="modal-body form" onSubmit={submit} noValidate>
        <Field
          idPrefix="nk"
          name="name"
          label={t('projects.colName')}
          placeholder={t('apiKeys.namePlaceholder')}
          autoComplete="off"
          value={form.name}
          error={errors.name}
          onChange={(e) => {
            setForm((f) => ({ ...f, name: e.target.value }));
            if (errors.name) setErrors((x) => ({ ...x, name: undefined }));
          }}
        />
        <fieldset className="form-field" data-field="scopes">
          <legend>{t('apiKeys.scopes')}</legend>
          {scopes.map((s) => (
            <label key={s} className="checkbox-row">
              <input
                type="checkbox"
                data-testid={`scope-${s}`}
                checked={form.scopes.includes(s)}
                onChange={(e) =>
                  setForm((f) => ({ ...f, scopes: e.target.checked ? [...f.scopes, s] : f.scopes.filter((x) => x !== s) }))
                }
              />
              <span>
                <strong>{s}</strong> <span className="muted">— {t(`apiKeys.scopeHelp.${s}`)}</span>
              </span>
            </label>
          ))}
          {errors.scopes && (
            <p className="field-error" data-testid="field-error-scopes">
              {errors.scopes}
            </p>
          )}
        </fieldset>
        <div className="form-field">
          <label htmlFor="nk-expiry">{t('apiKeys.expires')}</label>
          <select
            id="nk-expiry"
            className="input select"
            data-testid="expiry-select"
            value={form.expires_in_days}
            onChange={(e) => setForm((f) => ({ ...f, expires_in_days: Number(e.target.value) }))}
          >
            {KEY_EXPIRY_CHOICES.map((c) => (
              <option key={c.days} value={c.days}>
                {c.label}
              </option>
            ))}
          </select>
          {errors.expires_in_days && <p className="field-error">{errors.expires_in_days}</p>}
        </div>
        <RouterLimitsFields
          form={form}
          errors={errors}
          onChange={(patch) => {
            setForm((f) => ({ ...f, ...patch }));
            setErrors((x) => ({ ...x, ...Object.fromEntries(Object.keys(patch).map((k) => [k, undefined])) }));
          }}
        />
        {formError && (
          <p className="form-error" role="alert" data-testid="form-error">
            {formError}
          </p>
        )}
        <footer className="modal-footer">
          <button type="button" className="button secondary" onClick={onClose} disabled={busy}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="button primary" disabled={busy} data-testid="create-api-key">
            {busy ? t('common.creating') : t('apiKeys.create')}
          </button>
        </footer>
      </form>
    </Modal>
  );
}

/** A key's router limits in the list: its models, calls an hour and budget, or "None". */
function LimitsCell({ limits }: { limits: KeyLimits }) {
  const t = useT();
  useLocale();
  const lines = [
    limits.allowed_models ? t('apiKeys.limitModels', { models: limits.allowed_models.join(', ') }) : null,
    limits.router_per_hour !== null ? t('apiKeys.limitPerHour', { count: limits.router_per_hour, formatted: formatNumber(limits.router_per_hour) }) : null,
    limits.credit_budget !== null ? t('apiKeys.limitBudget', { credits: formatCount('credit', limits.credit_budget) }) : null,
  ].filter((l): l is string => l !== null);
  if (lines.length === 0) return <span className="muted">{t('apiKeys.noLimits')}</span>;
  return (
    <div className="key-limits">
      {lines.map((l) => (
        <span key={l}>{l}</span>
      ))}
    </div>
  );
}

type LimitsForm = Pick<ApiKeyForm, 'allowed_models' | 'rate_limit_per_hour' | 'credit_budget'>;

/** The optional model-router limits of a new key: the models it may call, calls an hour, a budget. */
function RouterLimitsFields({ form, errors, onChange }: { form: LimitsForm; errors: FieldErrors; onChange: (patch: Partial<LimitsForm>) => void }) {
  const t = useT();
  const models = loadOf(useRouterModels());
  const toggle = (name: string, on: boolean) =>
    onChange({ allowed_models: on ? [...form.allowed_models, name] : form.allowed_models.filter((m) => m !== name) });
  return (
    <>
      <fieldset className="form-field" data-field="allowed_models">
        <legend>
          {t('apiKeys.allowedModels')}
          <span className="optional"> {t('apiKeys.allowedModelsHint')}</span>
        </legend>
        {models.kind === 'loading' && <p className="muted">{t('common.loadingEllipsis')}</p>}
        {models.kind === 'error' && <p className="muted">{t('apiKeys.modelsLoadFailed', { message: models.message })}</p>}
        {models.kind === 'ready' && models.data.data.length === 0 && <p className="muted">{t('apiKeys.noRouterModels')}</p>}
        {models.kind === 'ready' && models.data.data.length > 0 && (
          <div className="key-models">
            {models.data.data.map((m) => (
              <label key={m.id} className="checkbox-row">
                <input
                  type="checkbox"
                  data-testid={`allowed-model-${m.id}`}
                  checked={form.allowed_models.includes(m.id)}
                  onChange={(e) => toggle(m.id, e.target.checked)}
                />
                <code>{m.id}</code>
              </label>
            ))}
          </div>
        )}
        {errors.allowed_models && (
          <p className="field-error" data-testid="field-error-allowed_models">
            {errors.allowed_models}
          </p>
        )}
      </fieldset>
      <div className="form-row-2">
        <Field
          idPrefix="nk"
          name="rate_limit_per_hour"
          label={t('apiKeys.perHour')}
          hint={t('apiKeys.perHourHint')}
          inputMode="numeric"
          autoComplete="off"
          value={form.rate_limit_per_hour}
          error={errors.rate_limit_per_hour}
          onChange={(e) => onChange({ rate_limit_per_hour: e.target.value })}
        />
        <Field
          idPrefix="nk"
          name="credit_budget"
          label={t('apiKeys.budget')}
          hint={t('apiKeys.budgetHint')}
          inputMode="numeric"
          autoComplete="off"
          value={form.credit_budget}
          error={errors.credit_budget}
          onChange={(e) => onChange({ credit_budget: e.target.value })}
        />
      </div>
    </>
  );
}

function RevokeDialog({ apiKey, onClose, onConfirm }: { apiKey: ApiKey; onClose: () => void; onConfirm: () => Promise<void> }) {
  const t = useT();
  const [busy, setBusy] = useState(false);
  return (
    <Modal title={t('apiKeys.revokeTitle')} onClose={onClose} busy={busy} size="sm" testId="revoke-dialog" initialFocus='[data-testid="cancel-revoke"]'>
      <div className="modal-body">
        <p className="confirm-text">
          <Trans
            i18n={i18n}
            t={t}
            i18nKey="apiKeys.revokeBody"
            values={{ name: apiKey.name, prefix: apiKey.prefix }}
            components={{ name: <strong className="confirm-name" />, code: <code /> }}
          />
        </p>
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} disabled={busy} data-testid="cancel-revoke">
          {t('common.cancel')}
        </button>
        <button
          type="button"
          className="button danger"
          disabled={busy}
          data-testid="confirm-revoke"
          onClick={() => {
            setBusy(true);
            void onConfirm().finally(onClose);
          }}
        >
          {busy ? t('apiKeys.revoking') : t('apiKeys.revoke')}
        </button>
      </footer>
    </Modal>
  );
}
