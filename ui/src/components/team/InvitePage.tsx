import { useEffect, useState } from 'react';
import { acceptInvitation, previewInvitation, type InvitationPreview, type InvitationStatus } from '../../api/workspaces';
import { formatDateTime } from '../../lib/format';
import { navigate } from '../../lib/navigate';
import { routeHash } from '../../lib/route';
import { ApiError, errorMessage } from '../../transport';
import { LogoMark } from '../Icons';
import { useToasts } from '../Toasts';
import { rememberReturnTo } from './returnTo';
import { ROLE_HELP } from './roles';
import { useWorkspace } from './WorkspaceContext';
import './team.css';

export type PreviewLoad =
  | { kind: 'loading' }
  | { kind: 'ready'; preview: InvitationPreview }
  | { kind: 'error'; message: string; notFound: boolean };

const CLOSED_TEXT: Record<Exclude<InvitationStatus, 'pending'>, string> = {
  accepted: 'This invitation has already been used.',
  revoked: 'This invitation was revoked by the workspace.',
  expired: 'This invitation has expired.',
};

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
  return (
    <div className="auth-screen">
      <div className="auth-card panel invite-card" data-testid="invite-page" data-state={load.kind === 'ready' ? load.preview.status : load.kind}>
        <div className="wordmark auth-wordmark">
          <LogoMark />
          <span>Storyloom</span>
        </div>
        {load.kind === 'loading' && <p className="muted">Loading the invitation…</p>}
        {load.kind === 'error' && (
          <>
            <h1 className="auth-title">{load.notFound ? 'Invitation not found' : 'Couldn’t load the invitation'}</h1>
            <p className="form-error" role="alert" data-testid="invite-error">
              {load.notFound ? 'This invitation link is not valid. Ask for a new one.' : load.message}
            </p>
          </>
        )}
        {load.kind === 'ready' && (
          <>
            <h1 className="auth-title">
              Join <span data-testid="invite-workspace-name">{load.preview.workspace_name}</span>
            </h1>
            <p data-testid="invite-summary">
              <strong>{load.preview.invited_by}</strong> invited {load.preview.email ? <strong>{load.preview.email}</strong> : 'you'} as{' '}
              <strong data-testid="invite-role">{load.preview.role}</strong> ({ROLE_HELP[load.preview.role]}).
            </p>
            {load.preview.status === 'pending' ? (
              <>
                <p className="muted">The link works until {formatDateTime(load.preview.expires_at)}.</p>
                {error && (
                  <p className="form-error" role="alert" data-testid="invite-error">
                    {error}
                  </p>
                )}
                {signedIn ? (
                  <button type="button" className="button primary auth-submit" disabled={busy} onClick={onAccept} data-testid="accept-invitation">
                    {busy ? 'Joining…' : 'Accept and join'}
                  </button>
                ) : (
                  <div className="invite-auth" data-testid="invite-signed-out">
                    <p>Sign in or create an account to accept. You will come back here afterwards.</p>
                    <button type="button" className="button primary auth-submit" onClick={onSignIn} data-testid="invite-sign-in">
                      Sign in
                    </button>
                    <button type="button" className="button secondary auth-submit" onClick={onSignUp} data-testid="invite-sign-up">
                      Create an account
                    </button>
                  </div>
                )}
              </>
            ) : (
              <p className="form-error" role="alert" data-testid="invite-closed">
                {CLOSED_TEXT[load.preview.status]} Ask the workspace’s owner or an admin for a new link.
              </p>
            )}
          </>
        )}
        {signedIn && (
          <p className="auth-switch">
            <a href="#/projects">Back to your projects</a>
          </p>
        )}
      </div>
    </div>
  );
}

export function InvitePage({ token, signedIn }: { token: string; signedIn: boolean }) {
  const ws = useWorkspace();
  const toasts = useToasts();
  const [load, setLoad] = useState<PreviewLoad>({ kind: 'loading' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ctrl = new AbortController();
    setLoad({ kind: 'loading' });
    previewInvitation(token, ctrl.signal)
      .then((preview) => setLoad({ kind: 'ready', preview }))
      .catch((e: unknown) => {
        if (ctrl.signal.aborted) return;
        setLoad({ kind: 'error', message: errorMessage(e), notFound: e instanceof ApiError && e.status === 404 });
      });
    return () => ctrl.abort();
  }, [token]);

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
            toasts.show({ kind: 'success', message: `You joined “${w.name}” as ${w.role}` });
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
              previewInvitation(token)
                .then((preview) => setLoad({ kind: 'ready', preview }))
                .catch(() => undefined);
            }
          });
      }}
    />
  );
}
