import type { ConnectionStatus } from '../../api/remote';
import { useLocale } from '../../i18n';
import { badgeView } from './connection';
import { useConnectionStatus } from './store';
import './connection.css';

/** How often the badge re-reads the (local) status; the server is only asked by a check. */
const READ_INTERVAL_MS = 30_000;

/** The badge itself, for any status (rendered by tests too). */
export function ConnectionBadgeView({ status }: { status: ConnectionStatus | null }) {
  useLocale(); // the badge's words follow a language switch
  const v = badgeView(status);
  return (
    <a
      className={`conn-badge conn-badge-${v.tone}`}
      href="#/connection"
      title={v.title}
      data-testid="connection-badge"
      data-state={status?.state ?? 'signed_out'}
    >
      <span className="conn-badge-dot" aria-hidden="true" />
      <span className="conn-badge-text">{v.text}</span>
    </a>
  );
}

/** Always visible in the desktop app's header: the team-server connection at a glance. */
export function ConnectionBadge() {
  const { status } = useConnectionStatus(READ_INTERVAL_MS);
  return (
    <div className="conn-bar" role="status" aria-live="polite">
      <ConnectionBadgeView status={status} />
    </div>
  );
}
