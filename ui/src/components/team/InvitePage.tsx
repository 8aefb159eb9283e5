import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { keys, useInvitationPreview } from '../../api/queries';
import { acceptInvitation, type InvitationPreview, type InvitationStatus } from '../../api/workspaces';
import { Trans, i18n, useLocale, useT } from '../../i18n';
import { formatDateTime } from '../../lib/format';
import { navigate } from '../../lib/navigate';
import { routeHash } from '../../lib/route';
import { ApiError, errorMessage } from '../../transport';
import { LogoMark } from '../Icons';
import { useToasts } from '../Toasts';
import { rememberReturnTo } from './returnTo';
import { roleHelp, roleName } from './roles';
import { useWorkspace } from './WorkspaceContext';
import './team.css';

export type PreviewLoad =
  | { kind: 'loading' }
  | { kind: 'ready'; preview: InvitationPreview }
  | { kind: 'error'; message: string; notFound: boolean };

const CLOSED_KEYS = {
  accepted: 'invite.closedAccepted',
  revoked: 'invite.closedRevoked',
  expired: 'invite.closedExpired',
} as const satisfies Record<Exclude<InvitationStatus, 'pending'>, string>;

export interface InviteViewProps {
  load: PreviewLoad;
  signedIn: boolean;
  busy: boolean;
  error: string | null;
  onAccept: () => void;
  onSignIn: () => void;
  onSignUp: () => void;
}

/** The invitation link's page: what it offers, and what one can do with it now. */
export function InviteView({ load, signedIn, busy, error, onAccept, onSignIn, onSignUp }: InviteViewProps) {
  const t = useT();
  const locale = useLocale();
  return (
    <div className="auth-screen">
      <div className="auth-card panel invite-card" data-testid="invite-page" data-state={load.kind === 'ready' ? load.preview.status : load.kind}>
        <div className="wordmark auth-wordmark">
          <LogoMark />
          <span>Storyloom</span>
        </div>
        {load.kind === 'loading' && <p className="muted">{t('invite.loading')}</p>}
        {load.kind === 'error' && (
          <>
            <h1 className="auth-title">{load.notFound ? t('invite.notFound') : t('invite.loadFailed')}</h1>
            <p className="form-error" role="alert" data-testid="invite-error">
              {load.notFound ? t('invite.notValid') : load.message}
            </p>
          </>
        )}
        {load.kind === 'ready' && (
          <>
            <h1 className="auth-title">
              <Trans
                i18n={i18n}
                t={t}
                i18nKey="invite.join"
                values={{ name: load.preview.workspace_name }}
                components={{ name: <span data-testid="invite-workspace-name" /> }}
              />
            </h1>
            <p data-testid="invite-summary">
              <Trans
                i18n={i18n}
                t={t}
                i18nKey={load.preview.email ? 'invite.summaryEmail' : 'invite.summaryYou'}
                values={{
                  by: load.preview.invited_by,
                  email: load.preview.email ?? '',
                  role: roleName(load.preview.role),
                  help: roleHelp(load.preview.role),
                }}
                components={{ b: <strong />, role: <strong data-testid="invite-role" /> }}
              />
            </p>
            {load.preview.status === 'pending' ? (
              <>
                <p className="muted">{t('invite.worksUntil', { when: formatDateTime(load.preview.expires_at, locale) })}</p>
                {error && (
                  <p className="form-error" role="alert" data-testid="invite-error">
                    {error}
                  </p>
                )}
                {signedIn ? (
                  <button type="button" className="button primary auth-submit" disabled={busy} onClick={onAccept} data-testid="accept-invitation">
                    {busy ? t('invite.joining') : t('invite.accept')}
                  </button>
                ) : (
                  <div className="invite-auth" data-testid="invite-signed-out">
                    <p>{t('invite.signInToAccept')}</p>
                    <button type="button" className="button primary auth-submit" onClick={onSignIn} data-testid="invite-sign-in">
                      {t('auth.signIn')}
                    </button>
                    <button type="button" className="button secondary auth-submit" onClick={onSignUp} data-testid="invite-sign-up">
                      {t('invite.createAccount')}
                    </button>
                  </div>
                )}
              </>
            ) : (
              <p className="form-error" role="alert" data-testid="invite-closed">
                {t(CLOSED_KEYS[load.preview.status])} {t('invite.askForNew')}
              </p>
            )}
          </>
        )}
        {signedIn && (
          <p className="auth-switch">
            <a href="#/projects">{t('invite.back')}</a>
          </p>
        )}
      </div>
    </div>
  );
}

export function InvitePage({ token, signedIn }: { token: string; signedIn: boolean }) {
  const t = useT();
  const ws = useWorkspace();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const preview = useInvitationPreview(token);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A failed re-read keeps the preview that was read.
  const load: PreviewLoad = preview.data
    ? { kind: 'ready', preview: preview.data }
    : preview.isError
      ? { kind: 'error', message: errorMessage(preview.error), notFound: preview.error instanceof ApiError && preview.error.status === 404 }
      : { kind: 'loading' };

  const here = routeHash({ name: 'invite', token });

  return (
    <InviteView
      load={load}
      signedIn={signedIn}
      busy={busy}
      error={error}
      onSignIn={() => {
        rememberReturnTo(here);
        navigate({ name: 'sign-in' });
      }}
      onSignUp={() => {
        rememberReturnTo(here);
        navigate({ name: 'sign-up' });
      }}
      onAccept={() => {
        setBusy(true);
        setError(null);
        acceptInvitation(token)
          .then((w) => {
            toasts.show({ kind: 'success', message: t('invite.joined', { name: w.name, role: roleName(w.role) }) });
            if (ws) {
              ws.upsert(w);
              ws.switchTo(w.id);
            }
            navigate({ name: 'projects' });
          })
          .catch((e: unknown) => {
            setBusy(false);
            setError(errorMessage(e));
            // Used, revoked or expired meanwhile: show the link's state.
            if (e instanceof ApiError && e.status === 409) {
              void queryClient.invalidateQueries({ queryKey: keys.workspaces.invitation(token) });
            }
          });
      }}
    />
  );
}
