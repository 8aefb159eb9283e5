import { useState } from 'react';
import type { User } from '../api/accounts';
import { useHealth } from '../api/queries';
import { useT } from '../i18n';
import { isAdminOpsRoute, type Route } from '../lib/route';
import { getTransport } from '../transport';
import { FilmIcon, FolderIcon, LockIcon, LogoMark, SparkleIcon, UploadIcon, UserIcon } from './Icons';
import { LanguageSwitcher } from './LanguageSwitcher';
import type { WorkspaceApi } from './team/WorkspaceContext';
import { WorkspaceSwitcher } from './team/WorkspaceSwitcher';

export type NavSection = 'projects' | 'credits';

type Conn = { state: 'checking' } | { state: 'ok'; version: string } | { state: 'down' };

const HEALTH_INTERVAL_MS = 60_000;

interface Props {
  route?: Route;
  /** Accounts mode: the signed-in user (their pages and a sign-out); absent in local mode. */
  account?: { user: User; onSignOut: () => Promise<void> } | undefined;
  /** Accounts mode: the workspaces (a switcher and the Team page); absent in local mode and the desktop. */
  workspace?: WorkspaceApi | null | undefined;
}

function NavItem({ href, active, testId, icon, label }: { href: string; active: boolean; testId: string; icon: React.ReactNode; label: string }) {
  return (
    <li>
      <a className={`nav-item${active ? ' active' : ''}`} href={href} aria-current={active ? 'page' : undefined} data-testid={testId}>
        {icon}
        <span>{label}</span>
      </a>
    </li>
  );
}

export function Sidebar({ route, account, workspace }: Props = {}) {
  const t = useT();
  const [signingOut, setSigningOut] = useState(false);
  const health = useHealth(HEALTH_INTERVAL_MS);
  const conn: Conn = health.isError ? { state: 'down' } : health.data ? { state: 'ok', version: health.data.version } : { state: 'checking' };

  const mode = getTransport().kind === 'desktop' ? t('sidebar.modeDesktop') : t('sidebar.modeWeb');

  return (
    <aside className="sidebar">
      <div className="wordmark" data-testid="wordmark">
        <LogoMark />
        <span>Storyloom</span>
      </div>
      {account && workspace && <WorkspaceSwitcher ws={workspace} />}
      <nav aria-label={t('sidebar.mainNav')}>
        <ul className="nav-list">
          <NavItem
            href="#/projects"
            active={!route || route.name === 'projects' || route.name === 'project'}
            testId="nav-projects"
            icon={<FolderIcon />}
            label={t('nav.projects')}
          />
          <NavItem
            href="#/references"
            active={route?.name === 'references'}
            testId="nav-references"
            icon={<FilmIcon />}
            label={t('nav.references')}
          />
          <NavItem
            href="#/create"
            active={route?.name === 'create' || route?.name === 'creations'}
            testId="nav-create"
            icon={<SparkleIcon />}
            label={t('nav.create')}
          />
          <NavItem
            href="#/publish"
            active={route?.name === 'publish'}
            testId="nav-publish"
            icon={<UploadIcon />}
            label={t('nav.publish')}
          />
          <NavItem
            href="#/credits"
            active={route?.name === 'credits'}
            testId="nav-credits"
            icon={
              <span className="nav-glyph" aria-hidden="true">
                ◎
              </span>
            }
            label={t('nav.credits')}
          />
          {(!account || account.user.is_admin) && (
            <NavItem
              href="#/settings/providers"
              active={route?.name === 'providers'}
              testId="nav-providers"
              icon={
                <span className="nav-glyph" aria-hidden="true">
                  ⚙
                </span>
              }
              label={t('nav.providers')}
            />
          )}
          {account && (
            <>
              {workspace && (
                <NavItem
                  href="#/team"
                  active={route?.name === 'team'}
                  testId="nav-team"
                  icon={
                    <span className="nav-glyph" aria-hidden="true">
                      ⚇
                    </span>
                  }
                  label={t('nav.team')}
                />
              )}
              <NavItem
                href="#/models"
                active={route?.name === 'models'}
                testId="nav-models"
                icon={
                  <span className="nav-glyph" aria-hidden="true">
                    ✦
                  </span>
                }
                label={t('nav.models')}
              />
              <NavItem
                href="#/usage"
                active={route?.name === 'usage'}
                testId="nav-usage"
                icon={
                  <span className="nav-glyph" aria-hidden="true">
                    ▤
                  </span>
                }
                label={t('nav.usage')}
              />
              <NavItem href="#/account" active={route?.name === 'account'} testId="nav-account" icon={<UserIcon />} label={t('nav.account')} />
              <NavItem href="#/account/api-keys" active={route?.name === 'api-keys'} testId="nav-api-keys" icon={<LockIcon />} label={t('nav.apiKeys')} />
              {account.user.is_admin && (
                <NavItem href="#/admin/users" active={route?.name === 'admin-users'} testId="nav-admin-users" icon={<UserIcon />} label={t('nav.users')} />
              )}
              {account.user.is_admin && (
                <NavItem
                  href="#/admin/coupons"
                  active={route !== undefined && isAdminOpsRoute(route.name)}
                  testId="nav-admin-operations"
                  icon={
                    <span className="nav-glyph" aria-hidden="true">
                      ✚
                    </span>
                  }
                  label={t('nav.operations')}
                />
              )}
            </>
          )}
        </ul>
      </nav>
      {account && (
        <div className="signed-in" data-testid="signed-in">
          <div className="signed-in-who">
            <span className="signed-in-label">{t('sidebar.signedInAs')}</span>
            <strong data-testid="signed-in-username">{account.user.username}</strong>
            {account.user.is_admin && <span className="badge">{t('sidebar.admin')}</span>}
          </div>
          <button
            type="button"
            className="button secondary button-sm"
            data-testid="sign-out"
            disabled={signingOut}
            onClick={() => {
              setSigningOut(true);
              void account.onSignOut().finally(() => setSigningOut(false));
            }}
          >
            {signingOut ? t('sidebar.signingOut') : t('sidebar.signOut')}
          </button>
        </div>
      )}
      <LanguageSwitcher />
      <div className="sidebar-footer" data-testid="connection" data-state={conn.state}>
        <span className={`conn-dot conn-${conn.state}`} aria-hidden="true" />
        <span>
          {conn.state === 'checking' && t('sidebar.connecting')}
          {conn.state === 'ok' && t('sidebar.connected', { mode, version: conn.version })}
          {conn.state === 'down' && t('sidebar.unreachable')}
        </span>
      </div>
    </aside>
  );
}
