import { useState } from 'react';
import { useSyncStatus, type SyncStatus } from '../../api/sync';
import { useLocale, useT } from '../../i18n';
import { getTransport } from '../../transport';
import { useConnectionStatus } from '../connection/store';
import { signedInToServer, syncBadgeView } from './sync';
import { SyncDialog } from './SyncDialog';
import './sync.css';

/** The badge itself, for any status (null: the project is not linked). Rendered by tests too. */
export function SyncBadgeView({ status, onOpen }: { status: SyncStatus | null; onOpen: () => void }) {
  const t = useT();
  const locale = useLocale();
  const v = syncBadgeView(status, locale);
  return (
    <button
      type="button"
      className={`sync-badge sync-badge-${v.tone}`}
      title={v.title}
      aria-label={t('sync.badgeAria', { state: v.text })}
      data-testid="sync-badge"
      data-state={status?.state ?? 'unlinked'}
      onClick={onOpen}
    >
      <span className="sync-badge-dot" aria-hidden="true" />
      <span className="sync-badge-text">{v.text}</span>
    </button>
  );
}

/**
 * The project's sync with the team server, in the editor's header. Desktop only (a team server
 * has no "other side" to sync with), and only while the desktop is signed in to a server.
 */
export function SyncBadge({ projectId }: { projectId: string }) {
  // In the browser the page is the team server's own UI: no connection to read, nothing to sync.
  return getTransport().kind === 'desktop' ? <DesktopSyncBadge projectId={projectId} /> : null;
}

function DesktopSyncBadge({ projectId }: { projectId: string }) {
  const { status: connection } = useConnectionStatus();
  const shown = signedInToServer(connection);
  const query = useSyncStatus(projectId, shown);
  const [open, setOpen] = useState(false);
  if (!shown || query.data === undefined) return null;
  return (
    <>
      <SyncBadgeView status={query.data} onOpen={() => setOpen(true)} />
      {open && <SyncDialog projectId={projectId} status={query.data} connection={connection} onClose={() => setOpen(false)} />}
    </>
  );
}
