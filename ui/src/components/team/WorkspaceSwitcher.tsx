import { useEffect, useRef, useState } from 'react';
import type { Workspace } from '../../api/workspaces';
import { t as translate, useT } from '../../i18n';
import { navigate } from '../../lib/navigate';
import { useToasts } from '../Toasts';
import { NewWorkspaceDialog } from './NewWorkspaceDialog';
import { roleName } from './roles';
import type { WorkspaceApi } from './WorkspaceContext';
import './team.css';

export function workspaceLabel(w: Workspace): string {
  return w.personal && !/personal/i.test(w.name) ? translate('workspace.personalLabel', { name: w.name }) : w.name;
}

export interface SwitcherViewProps {
  workspaces: Workspace[];
  current: Workspace;
  open: boolean;
  onToggle: () => void;
  onPick: (id: string) => void;
  onNew: () => void;
}

/** The switcher's markup: the current workspace and your role; open, the list and "New workspace…". */
export function WorkspaceSwitcherView({ workspaces, current, open, onToggle, onPick, onNew }: SwitcherViewProps) {
  const t = useT();
  return (
    <div className="ws-switcher" data-testid="workspace-switcher" data-workspace-id={current.id}>
      <button
        type="button"
        className="ws-current"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={onToggle}
        data-testid="workspace-switcher-button"
      >
        <span className="ws-current-name" data-testid="current-workspace-name">
          {current.name}
        </span>
        <span className="badge ws-role" data-testid="current-workspace-role">
          {roleName(current.role)}
        </span>
        <span className="ws-caret" aria-hidden="true">
          ▾
        </span>
      </button>
      {open && (
        <div className="ws-menu" role="menu" data-testid="workspace-menu">
          {workspaces.map((w) => (
            <button
              key={w.id}
              type="button"
              role="menuitemradio"
              aria-checked={w.id === current.id}
              className={`ws-option${w.id === current.id ? ' active' : ''}`}
              data-testid="workspace-option"
              data-workspace-id={w.id}
              onClick={() => onPick(w.id)}
            >
              <span className="ws-option-name">{workspaceLabel(w)}</span>
              <span className="muted ws-option-role">{roleName(w.role)}</span>
            </button>
          ))}
          <div className="ws-menu-sep" role="separator" />
          <button type="button" role="menuitem" className="ws-option" onClick={onNew} data-testid="new-workspace">
            {t('workspace.newEllipsis')}
          </button>
        </div>
      )}
    </div>
  );
}

export function WorkspaceSwitcher({ ws }: { ws: WorkspaceApi }) {
  const t = useT();
  const toasts = useToasts();
  const [open, setOpen] = useState(false);
  const [creating, setCreating] = useState(false);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  return (
    <div ref={ref}>
      <WorkspaceSwitcherView
        workspaces={ws.workspaces}
        current={ws.current}
        open={open}
        onToggle={() => setOpen((o) => !o)}
        onPick={(id) => {
          setOpen(false);
          if (id !== ws.current.id) ws.switchTo(id);
        }}
        onNew={() => {
          setOpen(false);
          setCreating(true);
        }}
      />
      {creating && (
        <NewWorkspaceDialog
          onClose={() => setCreating(false)}
          onCreated={(w) => {
            setCreating(false);
            ws.upsert(w);
            ws.switchTo(w.id);
            toasts.show({ kind: 'success', message: t('projects.created', { name: w.name }) });
            navigate({ name: 'team' });
          }}
        />
      )}
    </div>
  );
}
