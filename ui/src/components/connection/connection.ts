/**
 * Pure logic of the team-server connection: the badge's text and tone for each state, the
 * sign-in form's checks (mirroring src/remote: http/https, a host, no credentials in the URL),
 * and server errors mapped onto the form.
 */
import type { ConnectionState, ConnectionStatus } from '../../api/remote';
import { t } from '../../i18n';
import { ApiError, errorMessage, fieldErrorMessage } from '../../transport/errors';
import type { FieldErrors } from '../../lib/validation';

export type BadgeTone = 'local' | 'ok' | 'warn' | 'error';

export interface BadgeView {
  tone: BadgeTone;
  text: string;
  /** The longer explanation (tooltip). */
  title: string;
}

/** `host[:port]` of a server URL (or the URL itself when it cannot be parsed). */
export function hostOf(url: string | null | undefined): string {
  if (!url) return '';
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** The header badge: Offline · local / Connected to host as user / Server unreachable / Session expired. */
export function badgeView(status: ConnectionStatus | null): BadgeView {
  if (!status) return { tone: 'local', text: t('connection.offline'), title: t('connection.workingLocally') };
  const host = hostOf(status.server_url);
  const byState: Record<ConnectionState, Omit<BadgeView, 'title'>> = {
    signed_out: { tone: 'local', text: t('connection.offline') },
    connected: { tone: 'ok', text: t('connection.connected', { host, user: status.username ?? '?' }) },
    unreachable: { tone: 'warn', text: t('sidebar.unreachable') },
    session_expired: { tone: 'error', text: t('connection.expired') },
  };
  return { ...byState[status.state], title: status.message };
}

/** Whether the app should ask the server right away (signed in, but not checked since start). */
export function needsFirstCheck(status: ConnectionStatus | null): boolean {
  return !!status && status.checked_at === null && (status.state === 'connected' || status.state === 'unreachable');
}

export interface ConnectionForm {
  server_url: string;
  username: string;
  password: string;
}

export function validateServerUrl(raw: string): string | null {
  const v = raw.trim();
  if (!v) return t('connection.enterAddress');
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return t('connection.fullAddress');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return t('connection.badScheme');
  if (!url.hostname) return t('connection.noHost');
  if (url.username || url.password) return t('connection.noCredentials');
  if (url.search || url.hash) return t('connection.noQuery');
  return null;
}

export function validateConnectionForm(f: ConnectionForm): FieldErrors {
  const e: FieldErrors = {};
  const url = validateServerUrl(f.server_url);
  if (url) e.server_url = url;
  if (!f.username.trim()) e.username = t('connection.enterUsername');
  if (!f.password) e.password = t('accountForms.enterPassword');
  return e;
}

/**
 * Where a failed sign-in's message goes: a field (422 naming it; 401 under the password), or the
 * form as a whole (unreachable, rate limited, anything else).
 */
export function signInError(e: unknown): { field: keyof ConnectionForm | null; message: string } {
  if (e instanceof ApiError) {
    if (e.isValidation && (e.field === 'server_url' || e.field === 'username' || e.field === 'password')) {
      return { field: e.field, message: fieldErrorMessage(e) };
    }
    if (e.status === 401) return { field: 'password', message: t('connection.rejected') };
    return { field: null, message: errorMessage(e) };
  }
  return { field: null, message: e instanceof Error ? e.message : t('connection.signInFailed') };
}

/** The form's starting values: the last server and username (kept after sign-out or expiry). */
export function initialForm(status: ConnectionStatus | null, remembered: { server_url?: string; username?: string } = {}): ConnectionForm {
  return {
    server_url: status?.server_url ?? remembered.server_url ?? '',
    username: status?.username ?? remembered.username ?? '',
    password: '',
  };
}
