import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { AUTH_PATHS, getMe, logout, type SessionResponse, type User } from '../api/accounts';
import { parseOAuthDone, parseOAuthError, sessionFromOAuth, type OAuthDone, type OAuthFailure } from '../api/oauth';
import { modeFromProbe, type ServerMode } from '../lib/accountForms';
import { navigate } from '../lib/navigate';
import { hashQuery, isAdminOpsRoute, parseRoute, referralFromHash, routeHash, SIMPLE_ROUTES, type Route } from '../lib/route';
import { getSession } from '../lib/session';
import { getTransport, joinUrl } from '../transport';
import { SignInPage, SignUpPage } from './account/AuthPages';
import { AuthContext, type AuthApi } from './account/AuthContext';
import { ConnectionBadge } from './connection/ConnectionBadge';
import { UpdateBanner } from './connection/UpdateBanner';
import { ProjectsPage } from './ProjectsPage';
import { Sidebar } from './Sidebar';
import { InvitePage } from './team/InvitePage';
import { takeReturnTo } from './team/returnTo';
import { useWorkspace } from './team/WorkspaceContext';
import { WorkspaceProvider } from './team/WorkspaceProvider';
import { QueryScope } from './QueryScope';
import { ToastProvider } from './Toasts';

// Pages past the first screen load with their route: the projects list (the first screen) parses
// less script at start, which is most of the desktop's time to its first interactive window.
const AccountPage = lazy(() => import('./account/AccountPage').then((m) => ({ default: m.AccountPage })));
const AdminOperationsPage = lazy(() => import('./operations/AdminOperationsPage').then((m) => ({ default: m.AdminOperationsPage })));
const AdminUsersPage = lazy(() => import('./account/AdminUsersPage').then((m) => ({ default: m.AdminUsersPage })));
const ApiKeysPage = lazy(() => import('./account/ApiKeysPage').then((m) => ({ default: m.ApiKeysPage })));
const ConnectionPage = lazy(() => import('./connection/ConnectionPage').then((m) => ({ default: m.ConnectionPage })));
const CreditsPage = lazy(() => import('./CreditsPage').then((m) => ({ default: m.CreditsPage })));
const EditorPage = lazy(() => import('./editor/EditorPage').then((m) => ({ default: m.EditorPage })));
const ModelsPage = lazy(() => import('./router/ModelsPage').then((m) => ({ default: m.ModelsPage })));
const UsagePage = lazy(() => import('./router/UsagePage').then((m) => ({ default: m.UsagePage })));
const SandboxPayPage = lazy(() => import('./payments/SandboxPayPage').then((m) => ({ default: m.SandboxPayPage })));
const CreatePage = lazy(() => import('./create/CreatePage').then((m) => ({ default: m.CreatePage })));
const CreationsPage = lazy(() => import('./create/CreationsPage').then((m) => ({ default: m.CreationsPage })));
const PublishHistoryPage = lazy(() => import('./publish/PublishHistoryPage').then((m) => ({ default: m.PublishHistoryPage })));
const ReferenceVideosPage = lazy(() => import('./summarize/ReferenceVideosPage').then((m) => ({ default: m.ReferenceVideosPage })));
const ProvidersPage = lazy(() => import('./providers/ProvidersPage').then((m) => ({ default: m.ProvidersPage })));
const TeamPage = lazy(() => import('./team/TeamPage').then((m) => ({ default: m.TeamPage })));

function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/**
 * What the server is: the desktop shell and `serve --auth local` need no sign-in (local);
 * `serve --auth accounts` answers an anonymous `GET /auth/me` with 401 AUTH_REQUIRED.
 */
type Boot =
  | { kind: 'probing' }
  | { kind: 'open'; mode: Exclude<ServerMode, 'accounts'> }
  | { kind: 'accounts'; user: User | null; notice: string | null };

async function probeMode(): Promise<ServerMode> {
  const t = getTransport();
  if (t.kind === 'desktop') return 'local';
  try {
    // Deliberately without credentials: the answer says whether this server needs any.
    const res = await fetch(joinUrl(t.baseUrl, AUTH_PATHS.me), { headers: { Accept: 'application/json' } });
    let code: string | undefined;
    if (!res.ok) {
      try {
        code = ((await res.json()) as { error_code?: string }).error_code;
      } catch {
        code = undefined;
      }
    }
    return modeFromProbe(res.status, code);
  } catch {
    return 'unknown';
  }
}

/** What an OAuth redirect brought, when the page opened at `#/oauth/done?…` (read, not acted on). */
function oauthDoneOf(hash: string): OAuthDone | null {
  return parseRoute(hash).name === 'oauth-done' ? parseOAuthDone(hashQuery(hash)) : null;
}

/** The sign-in page, saying why a provider sign-in failed (the address replaces the done page's). */
function showOAuthFailure(error: OAuthFailure) {
  const q = new URLSearchParams({ oauth_error: error.code });
  if (error.message) q.set('oauth_message', error.message);
  window.location.replace(`${routeHash({ name: 'sign-in' })}?${q}`);
}

/** Who may administer the instance (providers, models, defaults): the local owner, or an instance admin. */
export function canAdminister(auth: AuthApi | null): boolean {
  return auth === null || auth.user.is_admin;
}

function Shell({ route, auth }: { route: Route; auth: AuthApi | null }) {
  // The team-server connection is the desktop's; in the browser the page is the server's own UI.
  const desktop = getTransport().kind === 'desktop';
  // Accounts mode: the workspace the pages act in; they load again when it changes (the key below).
  const ws = useWorkspace();
  // Once the first screen is up, fetch the editor's code in the background: opening a project
  // then waits for no download.
  useEffect(() => {
    const timer = window.setTimeout(() => void import('./editor/EditorPage'), 1500);
    return () => window.clearTimeout(timer);
  }, []);
  let page;
  switch (route.name) {
    case 'project':
      page = <EditorPage key={route.id} projectId={route.id} tab={route.tab} />;
      break;
    case 'account':
      page = auth ? <AccountPage oauthError={parseOAuthError(hashQuery(window.location.hash))} /> : <ProjectsPage />;
      break;
    case 'api-keys':
      page = auth ? <ApiKeysPage /> : <ProjectsPage />;
      break;
    case 'admin-users':
      page = auth ? <AdminUsersPage /> : <ProjectsPage />;
      break;
    case 'admin-coupons':
    case 'admin-activities':
    case 'admin-orders':
    case 'admin-statistics':
    case 'admin-releases':
      // Operations are the team server's, for its instance admins (the page says so to anyone else).
      page = auth && isAdminOpsRoute(route.name) ? <AdminOperationsPage tab={route.name} /> : <ProjectsPage />;
      break;
    case 'credits':
      page = <CreditsPage />;
      break;
    case 'references':
      page = <ReferenceVideosPage />;
      break;
    case 'create':
      page = <CreatePage />;
      break;
    case 'creations':
      page = <CreationsPage />;
      break;
    case 'publish':
      page = <PublishHistoryPage />;
      break;
    case 'pay-sandbox':
      page = <SandboxPayPage key={route.orderId} orderId={route.orderId} />;
      break;
    // The model router is the team server's (accounts mode).
    case 'models':
      page = auth ? <ModelsPage /> : <ProjectsPage />;
      break;
    case 'usage':
      page = auth ? <UsagePage /> : <ProjectsPage />;
      break;
    case 'providers':
      // Local mode (desktop, `--auth local`): the local owner administers the instance; accounts mode: admins.
      page = canAdminister(auth) ? <ProvidersPage /> : <ProjectsPage />;
      break;
    case 'connection':
      page = desktop ? <ConnectionPage /> : <ProjectsPage />;
      break;
    case 'team':
      page = auth && ws ? <TeamPage /> : <ProjectsPage />;
      break;
    case 'invite':
      page = auth ? <InvitePage key={route.token} token={route.token} signedIn /> : <ProjectsPage />;
      break;
    default:
      page = <ProjectsPage />;
  }
  return (
    <QueryScope scope={ws?.current.id ?? 'personal'}>
      <div className="app-shell">
        <Sidebar route={route} account={auth ? { user: auth.user, onSignOut: auth.signOut } : undefined} workspace={ws} />
        <main className="main" id="main" key={ws?.current.id ?? 'personal'}>
          {desktop && <ConnectionBadge />}
          {desktop && <UpdateBanner />}
          <Suspense fallback={<div className="page-loading" aria-busy="true" data-testid="page-loading" />}>{page}</Suspense>
        </main>
      </div>
    </QueryScope>
  );
}

export function App() {
  const route = useHashRoute();
  const [boot, setBoot] = useState<Boot>({ kind: 'probing' });
  // An OAuth sign-in (or link) came back with its tokens: read once, as the page opened.
  const [oauthDone] = useState(() => oauthDoneOf(window.location.hash));

  /**
   * A register/login answer, or an OAuth sign-in's (`returnTo`: the app's route it started from):
   * keep the session, show the signed-in app, go where the person was going.
   */
  const onSignedIn = useCallback((s: SessionResponse, returnTo?: string) => {
    getSession().start(s.tokens ?? s);
    setBoot({ kind: 'accounts', user: s.user, notice: null });
    // An invitation opened while signed out comes back to itself.
    const back = takeReturnTo();
    if (back) {
      window.location.hash = back;
      return;
    }
    if (returnTo) {
      // `/#/…` (api/oauth.ts safeReturnTo): only the hash, in place of the done page's entry.
      window.location.replace(returnTo.slice(1));
      return;
    }
    const r = parseRoute(window.location.hash);
    if (r.name === 'sign-in' || r.name === 'sign-up') navigate({ name: 'projects' });
  }, []);

  useEffect(() => {
    let cancelled = false;
    // The tokens leave the address bar (and this history entry) before anything else happens.
    if (oauthDone) window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}${SIMPLE_ROUTES['oauth-done']}`);
    void (async () => {
      const mode = await probeMode();
      if (cancelled) return;
      if (mode !== 'accounts') {
        setBoot({ kind: 'open', mode });
        return;
      }
      if (oauthDone) {
        if (oauthDone.ok) {
          // The tokens are kept only once they prove good: never half signed in.
          const s = await sessionFromOAuth(oauthDone.tokens).catch(() => null);
          if (cancelled) return;
          if (s) {
            onSignedIn(s, oauthDone.returnTo);
            return;
          }
        }
        showOAuthFailure(oauthDone.ok ? { code: 'incomplete', message: '' } : oauthDone.error);
      }
      let user: User | null = null;
      if (getSession().accessToken()) {
        try {
          user = await getMe();
        } catch {
          user = null;
        }
      }
      if (cancelled) return;
      // A link that came back failed lands on the sign-in page: signed in, say it on the account page.
      const hash = window.location.hash;
      const name = parseRoute(hash).name;
      if (user && (name === 'sign-in' || name === 'sign-up') && parseOAuthError(hashQuery(hash))) {
        window.location.replace(`${routeHash({ name: 'account' })}?${hashQuery(hash)}`);
      }
      setBoot({ kind: 'accounts', user, notice: null });
    })();
    return () => {
      cancelled = true;
    };
  }, [oauthDone, onSignedIn]);

  // The session ends on its own when the server stops taking it (suspended, revoked, refresh refused).
  useEffect(
    () =>
      getSession().subscribe((reason) => {
        setBoot((b) =>
          b.kind === 'accounts'
            ? { kind: 'accounts', user: null, notice: reason.kind === 'rejected' ? reason.detail : null }
            : b,
        );
        navigate({ name: 'sign-in' });
      }),
    [],
  );

  const signedInUser = boot.kind === 'accounts' ? boot.user : null;
  const auth = useMemo<AuthApi | null>(() => {
    if (!signedInUser) return null;
    return {
      user: signedInUser,
      setUser: (u) => setBoot((b) => (b.kind === 'accounts' && b.user ? { ...b, user: u } : b)),
      signOut: async () => {
        const session = getSession();
        const rt = session.tokens()?.refresh_token;
        if (rt) await logout(rt).catch(() => undefined);
        session.end();
      },
    };
  }, [signedInUser]);

  let content;
  if (boot.kind === 'probing') {
    content = <div className="boot" aria-busy="true" data-testid="booting" />;
  } else if (boot.kind === 'accounts' && !boot.user) {
    content =
      route.name === 'invite' ? (
        <InvitePage key={route.token} token={route.token} signedIn={false} />
      ) : route.name === 'sign-up' ? (
        <SignUpPage onSignedIn={onSignedIn} referralCode={referralFromHash(window.location.hash)} oauthError={parseOAuthError(hashQuery(window.location.hash))} />
      ) : (
        <SignInPage onSignedIn={onSignedIn} notice={boot.notice} oauthError={parseOAuthError(hashQuery(window.location.hash))} />
      );
  } else {
    content = (
      <AuthContext.Provider value={auth}>
        {auth ? (
          <WorkspaceProvider key={auth.user.id} userId={auth.user.id}>
            <Shell route={route} auth={auth} />
          </WorkspaceProvider>
        ) : (
          <Shell route={route} auth={auth} />
        )}
      </AuthContext.Provider>
    );
  }
  return <ToastProvider>{content}</ToastProvider>;
}
