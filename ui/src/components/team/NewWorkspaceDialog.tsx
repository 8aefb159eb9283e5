import { useState, type FormEvent } from 'react';
import { createWorkspace, type Workspace } from '../../api/workspaces';
import { serverFieldError } from '../../lib/accountForms';
import { t as translate, useT } from '../../i18n';
import { errorMessage } from '../../transport';
import { Field } from '../account/Field';
import { Modal } from '../Modal';

export const WORKSPACE_NAME_MAX = 100;

/** The client-side check of a workspace name; null when fine. */
export function workspaceNameError(name: string): string | null {
  const n = name.trim();
  if (!n) return translate('validation.nameRequired');
  if (n.length > WORKSPACE_NAME_MAX) return translate('validation.nameTooLong', { max: WORKSPACE_NAME_MAX });
  return null;
}

export function NewWorkspaceDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (w: Workspace) => void }) {
  const t = useT();
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const err = workspaceNameError(name);
    setError(err ?? undefined);
    setFormError(null);
    if (err) return;
    setBusy(true);
    try {
      onCreated(await createWorkspace(name.trim()));
    } catch (x) {
      setBusy(false);
      const f = serverFieldError(x, ['name']);
      if (f) setError(f.message);
      else setFormError(errorMessage(x));
    }
  }

  return (
    <Modal title={t('workspace.new')} onClose={onClose} busy={busy} size="sm" testId="new-workspace-dialog">
      <form className="modal-body form" onSubmit={submit} noValidate>
        <p className="muted">{t('workspace.newIntro')}</p>
        <Field
          idPrefix="nw"
          name="workspace_name"
          label={t('projects.colName')}
          placeholder={t('workspace.namePlaceholder')}
          autoComplete="off"
          value={name}
          error={error}
          onChange={(e) => {
            setName(e.target.value);
            if (error) setError(undefined);
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
          <button type="submit" className="button primary" disabled={busy} data-testid="create-workspace">
            {busy ? t('common.creating') : t('workspace.create')}
          </button>
        </footer>
      </form>
    </Modal>
  );
}
