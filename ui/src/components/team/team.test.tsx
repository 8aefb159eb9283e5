import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { InviteView, type InviteViewProps } from './InvitePage';
import { ADMIN_ID, OWNER_ID, REVIEWER_ID, invitation, members, preview, workspace } from './fixtures';
import { RETURN_TO_KEY, rememberReturnTo, takeReturnTo } from './returnTo';
import { canEditMember, canLeave, grantableRoles } from './roles';
import { PersonalTeamView } from './PersonalTeamView';
import { TeamView, type TeamViewProps } from './TeamView';
import { WorkspaceSwitcherView, workspaceLabel } from './WorkspaceSwitcher';

const noop = () => undefined;
const has = (html: string, testId: string) => html.includes(`data-testid="${testId}"`);
const count = (html: string, re: RegExp) => (html.match(new RegExp(re.source, 'g')) ?? []).length;

function renderTeam(over: Partial<TeamViewProps> = {}): string {
  const props: TeamViewProps = {
    workspace: workspace(),
    meId: OWNER_ID,
    members: { kind: 'ready', data: members },
    invitations: { kind: 'ready', data: [invitation(), invitation({ id: 'inv-2', status: 'accepted' })] },
    onRename: async () => null,
    onRoleChange: noop,
    onRemove: noop,
    onLeave: noop,
    onInvite: async () => null,
    onRevoke: noop,
    onRetry: noop,
    ...over,
  };
  return renderToStaticMarkup(<TeamView {...props} />);
}

/** The `<tr>` of one member, by username. */
function row(html: string, username: string): string {
  const m = new RegExp(`<tr[^>]*data-username="${username}"[\\s\\S]*?</tr>`).exec(html);
  if (!m) throw new Error(`no row for ${username}`);
  return m[0];
}

describe('roles', () => {
  it('only the owner grants admin; nobody grants owner; viewers and editors grant nothing', () => {
    expect(grantableRoles('owner')).toEqual(['admin', 'editor', 'reviewer', 'viewer']);
    expect(grantableRoles('admin')).toEqual(['editor', 'reviewer', 'viewer']);
    expect(grantableRoles('editor')).toEqual([]);
    expect(grantableRoles('viewer')).toEqual([]);
  });

  it('nobody edits the owner or themselves; an admin is edited by the owner only', () => {
    const [owner, admin, reviewer] = members as [typeof members[0], typeof members[0], typeof members[0]];
    expect(canEditMember('owner', OWNER_ID, owner)).toBe(false);
    expect(canEditMember('owner', OWNER_ID, admin)).toBe(true);
    expect(canEditMember('admin', ADMIN_ID, admin)).toBe(false);
    expect(canEditMember('admin', ADMIN_ID, reviewer)).toBe(true);
    expect(canEditMember('admin', 'another-admin', admin)).toBe(false);
    expect(canEditMember('editor', 'x', reviewer)).toBe(false);
    expect(canLeave('owner')).toBe(false);
    expect(canLeave('reviewer')).toBe(true);
  });
});

describe('team page', () => {
  it('as owner: rename, role selects for everyone but the owner, invite form defaulting to reviewer, pending invitations only', () => {
    const html = renderTeam();
    expect(html).toMatch(/data-testid="team-workspace-name">Studio North</);
    expect(has(html, 'rename-workspace')).toBe(true);
    expect(has(html, 'leave-workspace')).toBe(false);
    expect(row(html, 'olga')).toMatch(/<select[^>]*disabled/);
    expect(row(html, 'olga')).not.toContain('remove-member');
    expect(row(html, 'adam')).not.toMatch(/<select[^>]*disabled/);
    expect(row(html, 'adam')).toContain('remove-member');
    expect(row(html, 'adam')).toContain('Adam A. (adam)');
    expect(row(html, 'rita')).toMatch(/<option value="admin">/);
    expect(has(html, 'invite-form')).toBe(true);
    expect(html).toMatch(/<option value="reviewer" selected="">reviewer<\/option>/);
    expect(count(html, /data-testid="invitation-row"/)).toBe(1);
    expect(has(html, 'revoke-invitation')).toBe(true);
  });

  it('as admin: cannot touch the owner, another admin or themselves, and cannot grant admin', () => {
    const html = renderTeam({ workspace: workspace({ role: 'admin' }), meId: ADMIN_ID });
    expect(row(html, 'olga')).toMatch(/<select[^>]*disabled/);
    expect(row(html, 'adam')).toMatch(/<select[^>]*disabled/);
    expect(row(html, 'adam')).toContain('(you)');
    expect(row(html, 'rita')).not.toMatch(/<select[^>]*disabled/);
    expect(row(html, 'rita')).not.toMatch(/<option value="admin">/);
    expect(has(html, 'rename-workspace')).toBe(true);
    expect(has(html, 'leave-workspace')).toBe(true);
    const invite = /<select[^>]*data-testid="invite-role"[\s\S]*?<\/select>/.exec(html)![0];
    expect(invite).not.toContain('value="admin"');
  });

  it('as reviewer: reads the members, no rename, no invitations, can leave', () => {
    const html = renderTeam({ workspace: workspace({ role: 'reviewer' }), meId: REVIEWER_ID, invitations: null });
    expect(has(html, 'rename-workspace')).toBe(false);
    expect(has(html, 'invite-form')).toBe(false);
    expect(has(html, 'invitation-list')).toBe(false);
    expect(has(html, 'remove-member')).toBe(false);
    expect(count(html, /<select[^>]*disabled/g)).toBe(3);
    expect(has(html, 'leave-workspace')).toBe(true);
    expect(html).toMatch(/data-testid="team-my-role">reviewer</);
  });

  it('shows load errors and the empty invitation list', () => {
    const html = renderTeam({ members: { kind: 'error', message: 'your role can’t do that' }, invitations: { kind: 'ready', data: [] } });
    expect(has(html, 'load-error')).toBe(true);
    expect(html).toContain('your role can’t do that');
    expect(has(html, 'member-list')).toBe(false);
    expect(has(html, 'no-invitations')).toBe(true);
  });

  it('personal workspace: explains it can’t be shared and offers a team workspace', () => {
    const html = renderToStaticMarkup(
      <PersonalTeamView workspace={workspace({ id: OWNER_ID, personal: true, name: 'olga' })} onCreate={noop} />,
    );
    expect(html).toMatch(/can’t be shared/);
    expect(has(html, 'create-team-workspace')).toBe(true);
    expect(has(html, 'invite-form')).toBe(false);
    expect(has(html, 'member-list')).toBe(false);
  });
});

describe('workspace switcher', () => {
  const list = [workspace({ id: OWNER_ID, personal: true, name: 'olga' }), workspace({ role: 'reviewer' })];

  it('closed: the current workspace and the role only', () => {
    const html = renderToStaticMarkup(
      <WorkspaceSwitcherView workspaces={list} current={list[1]!} open={false} onToggle={noop} onPick={noop} onNew={noop} />,
    );
    expect(html).toMatch(/data-testid="current-workspace-name">Studio North</);
    expect(html).toMatch(/data-testid="current-workspace-role">reviewer</);
    expect(has(html, 'workspace-menu')).toBe(false);
  });

  it('open: every workspace, the current one checked, and New workspace…', () => {
    const html = renderToStaticMarkup(
      <WorkspaceSwitcherView workspaces={list} current={list[1]!} open onToggle={noop} onPick={noop} onNew={noop} />,
    );
    expect(count(html, /data-testid="workspace-option"/)).toBe(2);
    expect(html).toContain('olga (personal)');
    expect(workspaceLabel(workspace({ personal: true, name: 'Personal' }))).toBe('Personal');
    expect(html).toMatch(new RegExp(`aria-checked="true"[^>]*data-workspace-id="${list[1]!.id}"`));
    expect(html).toMatch(new RegExp(`aria-checked="false"[^>]*data-workspace-id="${OWNER_ID}"`));
    expect(html).toContain('New workspace…');
  });
});

describe('invitation page', () => {
  function renderInvite(over: Partial<InviteViewProps> = {}): string {
    return renderToStaticMarkup(
      <InviteView
        load={{ kind: 'ready', preview: preview() }}
        signedIn
        busy={false}
        error={null}
        onAccept={noop}
        onSignIn={noop}
        onSignUp={noop}
        {...over}
      />,
    );
  }

  it('pending, signed in: who invited, the role, Accept', () => {
    const html = renderInvite();
    expect(html).toMatch(/data-testid="invite-workspace-name">Studio North</);
    expect(html).toMatch(/data-testid="invite-role">reviewer</);
    expect(html).toContain('<strong>olga</strong> invited');
    expect(has(html, 'accept-invitation')).toBe(true);
    expect(has(html, 'invite-signed-out')).toBe(false);
  });

  it('pending, signed out: sign in or sign up instead of Accept', () => {
    const html = renderInvite({ signedIn: false });
    expect(has(html, 'accept-invitation')).toBe(false);
    expect(has(html, 'invite-sign-in')).toBe(true);
    expect(has(html, 'invite-sign-up')).toBe(true);
  });

  it('used, revoked, expired: said plainly, no Accept', () => {
    for (const [status, text] of [
      ['accepted', /already been used/],
      ['revoked', /was revoked/],
      ['expired', /has expired/],
    ] as const) {
      const html = renderInvite({ load: { kind: 'ready', preview: preview({ status }) } });
      expect(html).toMatch(text);
      expect(html).toContain(`data-state="${status}"`);
      expect(has(html, 'accept-invitation')).toBe(false);
    }
  });

  it('an unknown link and an accept error', () => {
    expect(renderInvite({ load: { kind: 'error', message: 'x', notFound: true } })).toMatch(/link is not valid/);
    const html = renderInvite({ error: 'this invitation is for another email address' });
    expect(html).toMatch(/data-testid="invite-error">this invitation is for another email address</);
  });
});

describe('return after sign-in', () => {
  function memory() {
    const data = new Map<string, string>();
    return {
      data,
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
  }

  it('remembers an invitation route once, and nothing else', () => {
    const s = memory();
    rememberReturnTo('#/admin/users', s);
    expect(s.data.has(RETURN_TO_KEY)).toBe(false);
    rememberReturnTo('#/invite/tok123', s);
    expect(takeReturnTo(s)).toBe('#/invite/tok123');
    expect(takeReturnTo(s)).toBeNull();
    s.data.set(RETURN_TO_KEY, 'https://evil.example/');
    expect(takeReturnTo(s)).toBeNull();
  });
});
