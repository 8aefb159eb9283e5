import { useCallback, useEffect, useReducer, useState, type FormEvent } from 'react';
import { KEY_SCOPES, createApiKey, listApiKeys, revokeApiKey, type ApiKey, type ApiKeyList, type KeyScope } from '../../api/accounts';
import {
  KEY_EXPIRY_CHOICES,
  apiKeyBody,
  revealReducer,
  serverFieldError,
  validateApiKeyForm,
  type ApiKeyForm,
} from '../../lib/accountForms';
import { formatDateTime, formatRelativeTime } from '../../lib/format';
import { hasErrors, type FieldErrors } from '../../lib/validation';
import { errorMessage } from '../../transport';
import { PlusIcon } from '../Icons';
import { Modal } from '../Modal';
import { SecretRevealDialog } from '../SecretRevealDialog';
import { useToasts } from '../Toasts';
import { useAuth } from './AuthContext';
import { Field } from './Field';

type Load = { kind: 'loading' } | { kind: 'ready'; data: ApiKeyList } | { kind: 'error'; message: string };

const SCOPE_HELP: Record<KeyScope, string> = {
  read: 'read projects and runs',
  write: 'create and change things',
  billing: 'see and manage costs',
  admin: 'manage users and keys',
};


export function ApiKeysPage() {
  const auth = useAuth();
  const toasts = useToasts();
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [reloadKey, setReloadKey] = useState(0);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [reveal, dispatch] = useReducer(revealReducer, { kind: 'none' });
  const reload = useCallback(() => setReloadKey((k) => k + 1), []);

  useEffect(() => {
    const ctrl = new AbortController();
    listApiKeys(ctrl.signal)
      .then((data) => setLoad({ kind: 'ready', data }))
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) setLoad({ kind: 'error', message: errorMessage(e) });
      });
    return () => ctrl.abort();
  }, [reloadKey]);

  const now = new Date();

  return (
    <div className="page" data-testid="api-keys-page">
      <header className="page-header">
        <div>
          <h1>API keys</h1>
          <p className="page-subtitle">
            Send a key as the <code>x-api-key</code> header to use the API from scripts and tools.
          </p>
        </div>
        <div className="header-actions">
          <button type="button" className="button primary" onClick={() => setCreating(true)} data-testid="new-api-key">
            <PlusIcon />
            <span>New API key</span>
          </button>
        </div>
      </header>
      <section className="panel">
        {load.kind === 'loading' && <p className="muted account-empty">Loading…</p>}
        {load.kind === 'error' && (
          <div className="load-error" role="alert" data-testid="load-error">
            <div>
              <h2>Couldn’t load your keys</h2>
              <p>{load.message}</p>
            </div>
            <button type="button" className="button secondary" onClick={reload}>
              Try again
            </button>
          </div>
        )}
        {load.kind === 'ready' && load.data.items.length === 0 && (
          <p className="muted account-empty" data-testid="no-api-keys">
            No API keys yet.
          </p>
        )}
        {load.kind === 'ready' && load.data.items.length > 0 && (
          <table className="data-table" data-testid="api-key-list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Key</th>
                <th>Scopes</th>
                <th>Expires</th>
                <th>Last used</th>
                <th>Status</th>
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
                  <td title={k.expires_at ? formatDateTime(k.expires_at) : undefined}>
                    {k.expires_at ? formatDateTime(k.expires_at) : 'Never'}
                  </td>
                  <td title={k.last_used_at ? formatDateTime(k.last_used_at) : undefined}>
                    {k.last_used_at ? formatRelativeTime(k.last_used_at, now) : 'Never'}
                  </td>
                  <td>
                    <span className={`badge key-status key-${k.status}`} data-testid="api-key-status">
                      {k.status}
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
                        Revoke
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
          title="Your new API key"
          warning={
            <>
              Copy this key now. <strong>You will not see it again</strong>: Storyloom keeps only a fingerprint of it.
            </>
          }
          label="API key"
          noun="key"
          closeLabel="I have stored it"
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
              toasts.show({ kind: 'success', message: `Revoked “${revoking.name}”` });
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
  const [form, setForm] = useState<ApiKeyForm>({ name: '', scopes: ['read', 'write'], expires_in_days: 90 });
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
      const f = serverFieldError(err, ['name', 'scopes', 'expires_at']);
      if (f) setErrors({ [f.field === 'expires_at' ? 'expires_in_days' : f.field]: f.message });
      else setFormError(errorMessage(err));
    }
  }

  return (
    <Modal title="New API key" onClose={onClose} busy={busy} testId="new-api-key-dialog">
      <form className="modal-body form" onSubmit={submit} noValidate>
        <Field
          idPrefix="nk"
          name="name"
          label="Name"
          placeholder="e.g. CI pipeline"
          autoComplete="off"
          value={form.name}
          error={errors.name}
          onChange={(e) => {
            setForm((f) => ({ ...f, name: e.target.value }));
            if (errors.name) setErrors((x) => ({ ...x, name: undefined }));
          }}
        />
        <fieldset className="form-field" data-field="scopes">
          <legend>Scopes</legend>
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
                <strong>{s}</strong> <span className="muted">— {SCOPE_HELP[s]}</span>
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
          <label htmlFor="nk-expiry">Expires</label>
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
        {formError && (
          <p className="form-error" role="alert" data-testid="form-error">
            {formError}
          </p>
        )}
        <footer className="modal-footer">
          <button type="button" className="button secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy} data-testid="create-api-key">
            {busy ? 'Creating…' : 'Create key'}
          </button>
        </footer>
      </form>
    </Modal>
  );
}

function RevokeDialog({ apiKey, onClose, onConfirm }: { apiKey: ApiKey; onClose: () => void; onConfirm: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  return (
    <Modal title="Revoke API key?" onClose={onClose} busy={busy} size="sm" testId="revoke-dialog" initialFocus='[data-testid="cancel-revoke"]'>
      <div className="modal-body">
        <p className="confirm-text">
          <strong className="confirm-name">{apiKey.name}</strong> (<code>{apiKey.prefix}…</code>) stops working at once. This
          cannot be undone.
        </p>
      </div>
      <footer className="modal-footer">
        <button type="button" className="button secondary" onClick={onClose} disabled={busy} data-testid="cancel-revoke">
          Cancel
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
          {busy ? 'Revoking…' : 'Revoke'}
        </button>
      </footer>
    </Modal>
  );
}
