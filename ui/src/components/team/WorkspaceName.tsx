import { useState, type FormEvent } from 'react';
import type { Workspace } from '../../api/workspaces';
import { useT } from '../../i18n';
import { Field } from '../account/Field';
import { workspaceNameError } from './NewWorkspaceDialog';
import { canManage } from './roles';

/** The workspace's name, renamed in place by those who manage it. */
export function WorkspaceName({ workspace, onRename }: { workspace: Workspace; onRename: (name: string) => Promise<string | null> }) {
  const t = useT();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(workspace.name);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const allowed = canManage(workspace.role);

  if (!editing) {
    return (
      <div className="ws-title">
        <h1 data-testid="team-workspace-name">{workspace.name}</h1>
        {allowed && (
          <button
            type="button"
            className="button secondary button-sm"
            data-testid="rename-workspace"
            onClick={() => {
              setName(workspace.name);
              setError(undefined);
              setEditing(true);
            }}
          >
            {t('projects.rename')}
          </button>
        )}
      </div>
    );
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const err = workspaceNameError(name);
    setError(err ?? undefined);
    if (err) return;
    setBusy(true);
    const serverError = await onRename(name.trim());
    setBusy(false);
    if (serverError) setError(serverError);
    else setEditing(false);
  }

  return (
    <form className="ws-rename form" onSubmit={submit} noValidate data-testid="rename-form">
      <Field
        idPrefix="ws"
        name="rename"
        label={t('team.workspaceName')}
        autoComplete="off"
        autoFocus
        value={name}
        error={error}
        onChange={(e) => {
          setName(e.target.value);
          if (error) setError(undefined);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setEditing(false);
        }}
      />
      <div className="ws-rename-actions">
        <button type="submit" className="button primary button-sm" disabled={busy} data-testid="save-rename">
          {busy ? t('common.saving') : t('common.save')}
        </button>
        <button type="button" className="button secondary button-sm" disabled={busy} onClick={() => setEditing(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
